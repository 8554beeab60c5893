# Every Component names an owner and a lifecycle, and the lifecycle is one of
# the allowed ones (data.catalog.lifecycles, from data/lifecycles.json).
#
# Written in Rego v0, conftest's classic style (`deny[msg] { ... }`): paved
# loads it unchanged next to Rego v1 policies.
package paved.catalog

is_component {
	input.after.kind == "Component"
}

deny[msg] {
	is_component
	not input.after.spec.owner
	msg := sprintf("Component %v has no owner (spec.owner)", [input.after.metadata.name])
}

deny[msg] {
	is_component
	not input.after.spec.lifecycle
	msg := sprintf("Component %v has no lifecycle (spec.lifecycle)", [input.after.metadata.name])
}

deny[msg] {
	is_component
	lifecycle := input.after.spec.lifecycle
	not allowed_lifecycle(lifecycle)
	msg := sprintf("Component %v: lifecycle %q is not one of %v", [input.after.metadata.name, lifecycle, data.catalog.lifecycles])
}

allowed_lifecycle(l) {
	data.catalog.lifecycles[_] == l
}

# Deprecated components are allowed, with a warning.
warn[msg] {
	is_component
	input.after.spec.lifecycle == "deprecated"
	msg := sprintf("Component %v is deprecated", [input.after.metadata.name])
}
