// Entity refs and the portal's URLs for them.
//
// A ref is `kind:namespace/name` (the engine's form, lower-case kind in
// relations). An entity's page is /catalog/<namespace>/<kind>/<name>, as in
// Backstage.

/** Split `kind:namespace/name` (namespace optional) into its parts. */
export function parseRef(ref) {
  const m = /^([^:]+):(?:([^/]+)\/)?(.+)$/.exec(ref)
  if (!m) return null
  return { kind: m[1], namespace: m[2] || 'default', name: m[3] }
}

/** The ref of an entity object. */
export function refOf(entity) {
  const ns = entity.metadata.namespace || 'default'
  return `${entity.kind.toLowerCase()}:${ns}/${entity.metadata.name}`
}

/** The page of the entity a ref names. */
export function entityPath(ref) {
  const p = typeof ref === 'string' ? parseRef(ref) : ref
  if (!p) return '/'
  return `/catalog/${encodeURIComponent(p.namespace)}/${encodeURIComponent(p.kind.toLowerCase())}/${encodeURIComponent(p.name)}`
}

/** A short label for a ref: `name`, or `namespace/name` outside `default`. */
export function refLabel(ref) {
  const p = parseRef(ref)
  if (!p) return ref
  return p.namespace === 'default' ? p.name : `${p.namespace}/${p.name}`
}

/**
 * What an audit record's subject links to: an entity's page, an approval's
 * page (`approval:<id>`), or nothing (an entity the record deleted).
 */
export function subjectLink(subject, action) {
  const approval = /^approval:([0-9a-z]+)$/.exec(subject)
  if (approval) return { label: `approval ${approval[1]}`, href: `/approvals/${approval[1]}` }
  if (/^(file|url):/.test(subject)) return { label: subject, href: '/locations' }
  const label = refLabel(subject)
  return { label, href: action === 'entity.delete' || !parseRef(subject) ? null : entityPath(subject) }
}

const RELATION_LABELS = {
  ownedBy: 'Owned by',
  ownerOf: 'Owner of',
  partOf: 'Part of',
  hasPart: 'Has part',
  dependsOn: 'Depends on',
  dependencyOf: 'Dependency of',
  providesApi: 'Provides API',
  apiProvidedBy: 'API provided by',
  consumesApi: 'Consumes API',
  apiConsumedBy: 'API consumed by',
  memberOf: 'Member of',
  hasMember: 'Has member',
  parentOf: 'Parent of',
  childOf: 'Child of',
}

/** A readable name for a relation type: `ownedBy` -> `Owned by`. */
export function relationLabel(type) {
  return RELATION_LABELS[type] || type.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase()
}
