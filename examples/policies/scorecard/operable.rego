# Scorecard rule (gold): a Component can be operated by someone who did not
# write it: an on-call rotation (a `pagerduty.com/service-id` annotation)
# and at least one link (runbook, dashboard).
package paved.scorecard.operable

import rego.v1

deny contains msg if {
	input.after.kind == "Component"
	not input.after.metadata.annotations["pagerduty.com/service-id"]
	msg := sprintf("Component %v has no on-call rotation (annotation pagerduty.com/service-id)", [input.after.metadata.name])
}

deny contains msg if {
	input.after.kind == "Component"
	count(object.get(input.after.metadata, "links", [])) == 0
	msg := sprintf("Component %v has no links (metadata.links: a runbook, a dashboard)", [input.after.metadata.name])
}
