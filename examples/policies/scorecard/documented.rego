# Scorecard rule (silver): a Component says what it is and where its docs
# are: a description and a `backstage.io/techdocs-ref` annotation.
#
# Bound in audit mode (paved.yaml): it scores components and records what
# it finds on their writes, without blocking any.
package paved.scorecard.documented

import rego.v1

deny contains msg if {
	input.after.kind == "Component"
	not input.after.metadata.description
	msg := sprintf("Component %v has no description (metadata.description)", [input.after.metadata.name])
}

deny contains msg if {
	input.after.kind == "Component"
	not input.after.metadata.annotations["backstage.io/techdocs-ref"]
	msg := sprintf("Component %v has no docs (annotation backstage.io/techdocs-ref)", [input.after.metadata.name])
}
