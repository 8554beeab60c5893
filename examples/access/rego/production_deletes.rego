# Deleting a component that runs in production is held for a platform
# lead's approval (the binding's `approval:` in ../paved.yaml), not refused:
# the owners may ask, the platform team decides.
#
# Written in Rego v1 (OPA 1.0's default syntax).
package paved.approvals

deny contains {"msg": msg, "path": "spec.lifecycle"} if {
	input.operation == "delete"
	input.before.kind == "Component"
	input.before.spec.lifecycle == "production"
	msg := sprintf("%v runs in production: deleting it needs the platform team's approval", [input.before.metadata.name])
}
