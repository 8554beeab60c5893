# Production databases must have backups.
#
# Applies to provider-managed resources (input.subject.resource) whose type
# is one of data.resources.databaseTypes (data/resources.yaml) and whose
# environment is one of data.resources.productionEnvironments. For those,
# `after` is the resource's params, and must carry
#
#   backup:
#     enabled: true
#     retentionDays: 14      # at least input.settings.minRetentionDays (default 7)
#
# Written in Rego v1 (OPA 1.0's default syntax).
package paved.resources

resource := input.subject.resource

production_database if {
	resource.resourceType in data.resources.databaseTypes
	resource.environment in data.resources.productionEnvironments
	input.operation != "delete"
}

min_retention_days := object.get(input.settings, "minRetentionDays", 7)

deny contains {"msg": msg, "path": "backup.enabled"} if {
	production_database
	not input.after.backup.enabled == true
	msg := sprintf("%v %v in %v must have backups (backup.enabled: true)", [resource.resourceType, resource.name, resource.environment])
}

deny contains {"msg": msg, "path": "backup.retentionDays"} if {
	production_database
	input.after.backup.enabled == true
	days := object.get(input.after.backup, "retentionDays", 0)
	days < min_retention_days
	msg := sprintf("%v %v keeps backups %v days; production needs at least %v", [resource.resourceType, resource.name, days, min_retention_days])
}
