# Every resource carries a cost-center label.
#
# Gatekeeper style: `violation[{"msg": ..., "details": ...}]`, with
# `details` the JSON path of the missing label (paved shows it as the
# violation's path). The label's name comes from the settings
# (`{"label": "cost-center"}` is the default).
#
# Resources are catalogue entities of kind Resource (label under
# metadata.labels) and provider-managed resources (input.subject.resource;
# label under the params' `labels`).
package paved.labels

import rego.v1

label := object.get(input.settings, "label", "cost-center")

violation contains {"msg": msg, "details": sprintf("metadata.labels.%v", [label])} if {
	input.after.kind == "Resource"
	not input.after.metadata.labels[label]
	msg := sprintf("Resource %v has no %v label", [input.after.metadata.name, label])
}

violation contains {"msg": msg, "details": sprintf("labels.%v", [label])} if {
	input.subject.resource
	input.operation != "delete"
	not input.after.labels[label]
	msg := sprintf("%v %v has no %v label", [input.subject.resource.resourceType, input.subject.resource.name, label])
}
