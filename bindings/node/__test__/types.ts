// Compiled by `tsc --noEmit` in test.sh: the declarations are valid, and code
// written against them the way the README shows type-checks (and misuse does not).
import { open, validate, inspectPlugin, checkPlugin, surface, PavedError, type Entity, type Event, type ChangeSet, type Page, type Review, type Action, type ApplyReport, type LeaseInfo, type ResourcePlan, type ResourceState, type ResourceSummary } from '../index.js'

export async function example(): Promise<void> {
  const platform = await open({ store: 'sqlite::memory:', actor: 'user:default/ada', plugins: [{ path: 'naming.wasm', kind: 'guardrail', settings: { patterns: {} }, grants: { catalogue: true }, limits: { timeoutMs: 500 } }] })
  const set: ChangeSet = await platform.catalog.import(['examples/catalog'], { dryRun: true, actor: 'user:default/ada' })
  const created: number = set.changes.filter((c) => c.outcome === 'created').length
  const partial = await platform.catalog.import(['examples/catalog'], { mode: 'per-entity' })
  const refused: Array<string | undefined> = partial.partial ? [...partial.refused, ...partial.conflicts].map((d) => d.entity) : []
  void refused
  // @ts-expect-error: the modes are 'per-entity' and 'all-or-nothing'
  await platform.catalog.import(['examples/catalog'], { mode: 'partial' })
  const page: Page = await platform.catalog.query({ filter: 'kind=component', fields: ['metadata.name'], limit: 10 })
  const first: Entity | undefined = page.items[0]
  const name: string | undefined = first?.metadata.name
  for await (const e of platform.catalog.queryAll({ predicate: { kind: 'component' } })) {
    const n: string = e.metadata.name
    void n
  }
  const entity = await platform.catalog.get('component:default/checkout-service')
  const owner: unknown = entity.spec?.owner
  try {
    await platform.catalog.upsert(entity, { etag: entity.metadata.etag })
  } catch (err) {
    if (err instanceof PavedError && err.code === 'CONFLICT') {
      const found: unknown = err.details.found
      void found
    }
  }
  for await (const event of platform.subscribe()) {
    const e: Event = event
    const seq: number = e.seq
    void seq
    break
  }
  const facets = await platform.catalog.facets('spec.type', { predicate: { kind: 'component' } })
  const graph = await platform.catalog.graph('component:default/checkout-service', { traversal: 'dependents', depth: 2 })
  const records = await platform.audit.list({ after: 0, limit: 10 })
  const report = await platform.audit.verify()
  const files = await validate(['examples/catalog'], { config: 'paved.yaml' })
  void [created, name, owner, facets[0]?.count, graph.edges[0]?.type, records[0]?.hash, report.ok, files.ok, surface()[0]?.node]

  const review: Review = await platform.plugins.review('naming', { subject: { entity: 'component:default/x' }, operation: 'create', after: entity })
  const denied: boolean = review.verdict === 'deny'
  const inspection = await inspectPlugin('naming.wasm')
  const info = await checkPlugin('naming.wasm', { settings: { patterns: {} } })
  void [denied, inspection.world, info.kind, platform.plugins.list()[0]?.name]
  // @ts-expect-error: not an operation
  await platform.plugins.review('naming', { subject: { entity: 'x' }, operation: 'explode' })

  const pending = await platform.approvals.list({ status: 'pending', limit: 5 })
  const waitingFor: string[] | undefined = pending[0]?.required[0]?.approvers
  const approved = await platform.approvals.approve('4f1c2a9b7e01', { actor: 'user:default/lead', comment: 'ok' })
  const rejected = await platform.approvals.reject('4f1c2a9b7e01', { reason: 'not now' })
  void [waitingFor, approved.status === 'applied', rejected.comment]
  // @ts-expect-error: not a status
  await platform.approvals.list({ status: 'maybe' })

  const plan: ResourcePlan = await platform.resources.plan(['resource:default/orders-db'], { actor: 'user:default/ada', parallelism: 4 })
  const signs: Action[] = plan.resources.map((r) => r.action)
  const applied: ApplyReport = await platform.resources.apply(undefined, { dryRun: true, parallelism: 2 })
  const destroyed: ApplyReport = await platform.resources.destroy(['orders-db'], { actor: 'user:default/ada' })
  const drifted = (await platform.resources.drift()).resources.filter((r) => r.status === 'drifted').map((r) => r.changes?.[0]?.path)
  const state: ResourceState = await platform.resources.state('resource:default/orders-db')
  const lastDrift: string | undefined = state.lastDrift?.status
  const versions: number[] = (await platform.resources.history('orders-db', { limit: 5 })).map((h) => h.version)
  const summaries: ResourceSummary[] = await platform.resources.list()
  const outputs: Record<string, unknown> = await platform.resources.outputs('orders-db', { reveal: false, actor: 'user:default/ada' })
  const imported = await platform.resources.import('orders-db', 'orders', { actor: 'user:default/ada' })
  const released: LeaseInfo | null = await platform.resources.unlock('orders-db', { dryRun: true })
  void [signs, applied.results[0]?.status, destroyed.dryRun, drifted, lastDrift, versions, summaries[0]?.lease?.holder, outputs, imported.state.status, released?.expiresAt]
  try {
    await platform.resources.apply()
  } catch (err) {
    if (err instanceof PavedError && err.code === 'LOCKED') {
      const holder: unknown = err.details.holder
      void holder
    }
  }
  // @ts-expect-error: a plan changes nothing, so it takes no dryRun
  await platform.resources.plan([], { dryRun: true })
  // @ts-expect-error: not a resource status
  const wrong: ResourceState['status'] = 'applied'
  void wrong

  // @ts-expect-error: entityRef must be a string
  await platform.catalog.get(42)
  // @ts-expect-error: not a traversal
  await platform.catalog.graph('x', { traversal: 'sideways' })
  // @ts-expect-error: unknown option
  await platform.catalog.query({ limt: 5 })
}
