// The catalogue API on each store: validate, import, upsert with etags,
// delete, get, query (filters, predicates, fields, order, paging), search,
// facets, graph — and the errors each one raises.

import assert from 'node:assert/strict'
import { realpathSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { after, before, describe, it } from 'node:test'

import { EXAMPLE_CATALOG, REPO, STORES, component, editable, paved, rejectsWith, scratchDir } from './helpers.mjs'

const PARTIAL_IMPORT = path.join(REPO, 'crates', 'core', 'tests', 'fixtures', 'partial-import')

const BROKEN = `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: good-one
spec:
  type: service
  lifecycle: production
  owner: team-payments
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: broken-one
spec:
  type: service
  lifecycle: 42
  owner: team-payments
`

describe('validation (no store needed)', () => {
  let platform
  let dir
  before(async () => {
    platform = await paved.open({ store: 'sqlite::memory:' })
    dir = scratchDir('paved-node-validate-')
    writeFileSync(path.join(dir, 'broken.yaml'), BROKEN)
  })

  it('paved.validate() needs no store: the same report, with the kinds of a config file', async () => {
    const report = await paved.validate([path.join(dir, 'broken.yaml')])
    assert.equal(report.ok, false)
    assert.deepEqual(report.entities.map((e) => e.entity.metadata.name), ['good-one'])
    assert.deepEqual(report, await platform.catalog.validate([path.join(dir, 'broken.yaml')]))
    const err = await rejectsWith(assert, paved.validate([dir], { config: path.join(dir, 'missing.yaml') }), 'IO')
    assert.equal(err.details.path, path.join(dir, 'missing.yaml'))
  })

  it('validate() reads the example catalogue: every entity, no error', async () => {
    const report = await platform.catalog.validate([EXAMPLE_CATALOG])
    assert.equal(report.ok, true)
    assert.equal(report.entities.length, 55)
    assert.ok(report.files.some((f) => f.endsWith('payments.yaml')))
    const checkout = report.entities.find((e) => e.entity.metadata.name === 'checkout-service')
    assert.match(checkout.source.file, /payments\.yaml$/)
    assert.ok(checkout.source.line > 1)
  })

  it('validate() reports file, line and JSON path of each problem', async () => {
    const report = await platform.catalog.validate([path.join(dir, 'broken.yaml')])
    assert.equal(report.ok, false)
    assert.deepEqual(report.entities.map((e) => e.entity.metadata.name), ['good-one'])
    const [d] = report.diagnostics.filter((x) => x.severity === 'error')
    assert.equal(d.path, 'spec.lifecycle')
    assert.match(d.location.file, /broken\.yaml$/)
    assert.equal(d.location.line, 16)
    assert.equal(d.location.document, 1)
    assert.equal(d.entity, 'component:default/broken-one')
    assert.match(d.message, /number 42/)
  })

  it('validateText() names the given file', async () => {
    const report = await platform.catalog.validateText(BROKEN, 'upload.yaml')
    assert.equal(report.ok, false)
    assert.equal(report.diagnostics.find((x) => x.severity === 'error').location.file, 'upload.yaml')
    const unnamed = await platform.catalog.validateText('kind: [')
    assert.equal(unnamed.ok, false)
    assert.equal(unnamed.diagnostics[0].location.file, '<inline>')
  })

  it('validateValues() checks objects', async () => {
    const report = await platform.catalog.validateValues([component('fine'), { kind: 'Component', metadata: {} }])
    assert.equal(report.ok, false)
    assert.deepEqual(report.entities.map((e) => e.entity.metadata.name), ['fine'])
    assert.ok(report.diagnostics.some((d) => d.path === 'apiVersion'))
  })
})

for (const kind of STORES) {
  describe(`catalogue on ${kind.name}`, () => {
    let store
    let platform
    let catalog
    before(async () => {
      store = kind.create()
      platform = await paved.open({ store: store.url })
      catalog = platform.catalog
    })
    after(() => store.drop())

    it('opens the store it was given', () => {
      assert.ok(platform.storeDescription.startsWith(kind.name === 'sqlite' ? 'sqlite:' : 'postgres://'), platform.storeDescription)
      assert.match(platform.origin, /^[0-9a-f-]{36}$/)
    })

    it('import() with dryRun writes nothing, then imports everything', async () => {
      const plan = await catalog.import([EXAMPLE_CATALOG], { dryRun: true, actor: 'user:default/ci' })
      assert.equal(plan.dryRun, true)
      assert.equal(plan.changes.length, 55)
      assert.ok(plan.changes.every((c) => c.outcome === 'created'))
      assert.equal((await catalog.query({ limit: 1 })).total, 0)

      const done = await catalog.import([EXAMPLE_CATALOG], { actor: 'user:default/ci' })
      assert.equal(done.dryRun, false)
      assert.equal(done.changes.filter((c) => c.outcome === 'created').length, 55)
      assert.ok(done.changes.every((c) => typeof c.etag === 'string' && c.etag.length > 0))
      assert.equal((await catalog.query({ limit: 1 })).total, 55)

      const again = await catalog.import([EXAMPLE_CATALOG])
      assert.ok(again.changes.every((c) => c.outcome === 'unchanged'))
    })

    it("import() with mode 'all-or-nothing' of a file with an error writes nothing (VALIDATION with every problem)", async () => {
      const dir = scratchDir('paved-node-import-')
      writeFileSync(path.join(dir, 'broken.yaml'), BROKEN)
      const err = await rejectsWith(assert, catalog.import([dir], { mode: 'all-or-nothing' }), 'VALIDATION')
      const [d] = err.details.diagnostics
      assert.equal(d.path, 'spec.lifecycle')
      assert.equal(d.location.line, 16)
      assert.match(d.location.file, /broken\.yaml$/)
      await rejectsWith(assert, catalog.get('component:default/good-one'), 'NOT_FOUND')
      await rejectsWith(assert, catalog.import([dir], { mode: 'partial' }), 'VALIDATION')
    })

    it('get() returns the entity with relations both ways and an etag', async () => {
      const e = await catalog.get('component:default/checkout-service')
      assert.equal(e.kind, 'Component')
      assert.equal(e.metadata.name, 'checkout-service')
      assert.match(e.metadata.etag, /^[0-9a-f]+$/)
      assert.ok(e.relations.some((r) => r.type === 'ownedBy' && r.targetRef === 'group:default/team-payments'))
      const team = await catalog.get('group:team-payments')
      assert.ok(team.relations.some((r) => r.type === 'ownerOf' && r.targetRef === 'component:default/checkout-service'))
    })

    it('get() of a missing entity is NOT_FOUND; of a malformed ref VALIDATION', async () => {
      const err = await rejectsWith(assert, catalog.get('component:default/nope'), 'NOT_FOUND')
      assert.deepEqual(err.details, { what: 'entity', id: 'component:default/nope' })
      const bad = await rejectsWith(assert, catalog.get(':x'), 'VALIDATION')
      assert.equal(bad.details.diagnostics[0].path, 'ref')
    })

    it('upsert() creates, updates with the right etag, and refuses a stale one (CONFLICT)', async () => {
      const created = await catalog.upsert(component('node-made', {}, { description: 'first' }), { etag: '', actor: 'user:default/ada' })
      assert.equal(created.changes[0].outcome, 'created')
      assert.equal(created.changes[0].entityRef, 'component:default/node-made')
      const etag1 = created.changes[0].etag

      const dup = await rejectsWith(assert, catalog.upsert(component('node-made'), { etag: '' }), 'CONFLICT')
      assert.equal(dup.details.expected, '')
      assert.equal(dup.details.found, etag1)
      assert.equal(dup.details.entity, 'component:default/node-made')

      const current = await catalog.get('component:default/node-made')
      assert.equal(current.metadata.etag, etag1)
      const changed = editable(current)
      changed.metadata.description = 'second'
      const updated = await catalog.upsert(changed, { etag: etag1 })
      assert.equal(updated.changes[0].outcome, 'updated')
      assert.notEqual(updated.changes[0].etag, etag1)

      const stale = await rejectsWith(assert, catalog.upsert({ ...changed, metadata: { ...changed.metadata, description: 'third' } }, { etag: etag1 }), 'CONFLICT')
      assert.equal(stale.details.expected, etag1)
      assert.equal(stale.details.found, updated.changes[0].etag)
      assert.equal((await catalog.get('component:default/node-made')).metadata.description, 'second')
    })

    it('upsert() with dryRun plans and writes nothing; unchanged content is unchanged', async () => {
      const plan = await catalog.upsert(component('only-planned'), { dryRun: true })
      assert.equal(plan.dryRun, true)
      assert.equal(plan.changes[0].outcome, 'created')
      await rejectsWith(assert, catalog.get('component:default/only-planned'), 'NOT_FOUND')
      const same = editable(await catalog.get('component:default/checkout-service'))
      assert.equal((await catalog.upsert(same)).changes[0].outcome, 'unchanged')
    })

    it('upsert() warns about refs to missing entities, and rejects invalid entities (VALIDATION, path)', async () => {
      const set = await catalog.upsert(component('lonely', { owner: 'team-nobody' }))
      assert.ok(set.warnings.some((w) => w.severity === 'warning' && /team-nobody/.test(w.message)))
      const err = await rejectsWith(assert, catalog.upsert(component('Bad Name!')), 'VALIDATION')
      assert.equal(err.details.diagnostics[0].path, 'metadata.name')
      assert.match(err.message, /metadata\.name/)
    })

    it('delete() needs the right etag when given one, then removes the entity', async () => {
      await catalog.upsert(component('to-delete'))
      const e = await catalog.get('component:default/to-delete')
      const conflict = await rejectsWith(assert, catalog.delete('component:default/to-delete', { etag: 'not-it' }), 'CONFLICT')
      assert.equal(conflict.details.found, e.metadata.etag)
      const set = await catalog.delete('component:default/to-delete', { etag: e.metadata.etag, actor: 'user:default/ada' })
      assert.deepEqual(set.changes.map((c) => c.outcome), ['deleted'])
      await rejectsWith(assert, catalog.get('component:default/to-delete'), 'NOT_FOUND')
      await rejectsWith(assert, catalog.delete('component:default/to-delete'), 'NOT_FOUND')
    })

    it('query() with Backstage filters: comma is AND, several strings OR', async () => {
      const services = await catalog.query({ filter: 'kind=component,spec.type=service,spec.owner=team-payments', limit: 100 })
      assert.ok(services.total >= 3)
      assert.ok(services.items.every((e) => e.kind === 'Component' && e.spec.type === 'service'))
      const either = await catalog.query({ filter: ['kind=domain', 'kind=system'], limit: 100 })
      assert.equal(either.total, 8)
      assert.ok(either.items.every((e) => e.kind === 'Domain' || e.kind === 'System'))
    })

    it('query() with a predicate tree, fields and order', async () => {
      const page = await catalog.query({
        predicate: { $all: [{ kind: 'component' }, { 'metadata.tags': { $in: ['pci'] } }] },
        fields: ['metadata.name', 'spec.owner'],
        order: ['-metadata.name'],
      })
      const names = page.items.map((e) => e.metadata.name)
      assert.ok(names.length >= 1)
      assert.deepEqual(names, [...names].sort().reverse())
      for (const item of page.items) assert.deepEqual(Object.keys(item).sort(), ['metadata', 'spec'])
      const both = await catalog.query({ filter: 'kind=component', predicate: { 'spec.lifecycle': 'production' }, limit: 100 })
      assert.ok(both.items.every((e) => e.kind === 'Component' && e.spec.lifecycle === 'production'))
    })

    it('query() pages with cursors: every entity once, nothing after the last page', async () => {
      const { total } = await catalog.query({ limit: 1 })
      const seen = []
      let cursor
      let pages = 0
      do {
        const page = await catalog.query({ limit: 7, cursor, fields: ['kind', 'metadata.name'] })
        seen.push(...page.items.map((e) => `${e.kind}:${e.metadata.name}`))
        assert.equal(page.total, total)
        cursor = page.nextCursor
        pages++
      } while (cursor)
      assert.equal(seen.length, total)
      assert.equal(new Set(seen).size, total)
      assert.equal(pages, Math.ceil(total / 7))
    })

    it('queryAll() yields every match across pages, once each', async () => {
      const { total } = await catalog.query({ filter: 'kind=component', limit: 1 })
      const names = []
      for await (const e of catalog.queryAll({ filter: 'kind=component', fields: ['metadata.name'], limit: 4 })) names.push(e.metadata.name)
      assert.equal(names.length, total)
      assert.equal(new Set(names).size, total)
      const stream = catalog.queryAll({ predicate: { $nope: [] } })
      await rejectsWith(assert, stream.recv(), 'VALIDATION')
    })

    it('query() rejects a bad filter or cursor (VALIDATION)', async () => {
      await rejectsWith(assert, catalog.query({ predicate: { $nope: [] } }), 'VALIDATION')
      await rejectsWith(assert, catalog.query({ filter: '=x' }), 'VALIDATION')
      await rejectsWith(assert, catalog.query({ cursor: 'not-a-cursor' }), 'VALIDATION')
    })

    it('search() finds by words in name, title, description and tags', async () => {
      const page = await catalog.search('checkout')
      const names = page.items.map((e) => e.metadata.name)
      assert.ok(names.includes('checkout-service'), names.join())
      assert.equal((await catalog.search('checkout', { limit: 1 })).items.length, 1)
      assert.equal((await catalog.search('zzzznothing')).total, 0)
    })

    it('facets() counts values, among the filtered entities', async () => {
      const kinds = await catalog.facets('kind')
      const component = kinds.find((f) => f.value === 'component')
      assert.ok(component.count >= 15)
      const owners = await catalog.facets('relations.ownedBy', { filter: 'kind=component' })
      assert.ok(owners.some((f) => f.value === 'group:default/team-payments' && f.count > 0))
      const lifecycles = await catalog.facets('spec.lifecycle', { predicate: { kind: 'component' } })
      assert.ok(lifecycles.every((f) => typeof f.value === 'string' && f.count > 0))
      const topOwners = await catalog.facets('relations.ownedBy', { filter: 'kind=component', limit: 2 })
      assert.deepEqual(topOwners, owners.slice(0, 2))
      for (const bad of [0, 10001]) {
        const err = await rejectsWith(assert, catalog.facets('kind', { limit: bad }), 'VALIDATION')
        assert.equal(err.details.diagnostics[0].path, 'limit')
        assert.match(err.message, new RegExp(`limit ${bad} is out of range: expected 1 to 10000`))
      }
    })

    it('graph() walks relations; an unknown traversal is VALIDATION', async () => {
      const g = await catalog.graph('component:default/checkout-service', { traversal: 'dependencies', depth: 1 })
      assert.equal(g.root, 'component:default/checkout-service')
      assert.equal(g.traversal, 'dependencies')
      assert.ok(g.nodes.some((n) => n.entityRef === 'resource:default/orders-db' && n.depth === 1 && n.exists))
      assert.ok(g.edges.some((e) => e.source === 'component:default/checkout-service' && e.type === 'dependsOn'))
      const owned = await catalog.graph('group:default/team-payments', { traversal: 'owned' })
      assert.ok(owned.nodes.some((n) => n.entityRef === 'component:default/checkout-service'))
      assert.equal(owned.limit, 1000)
      assert.equal(owned.truncated, false)
      const cut = await catalog.graph('group:default/team-payments', { traversal: 'owned', limit: 2 })
      assert.deepEqual(
        cut.nodes.map((n) => n.entityRef),
        owned.nodes.slice(0, 2).map((n) => n.entityRef),
      )
      assert.equal(cut.truncated, true)
      const inCut = new Set(cut.nodes.map((n) => n.entityRef))
      assert.ok(cut.edges.every((e) => inCut.has(e.source) && inCut.has(e.target)))
      const zero = await rejectsWith(assert, catalog.graph('group:default/team-payments', { limit: 0 }), 'VALIDATION')
      assert.equal(zero.details.diagnostics[0].path, 'limit')
      const err = await rejectsWith(assert, catalog.graph('component:default/checkout-service', { traversal: 'sideways' }), 'VALIDATION')
      assert.equal(err.details.diagnostics[0].path, 'traversal')
    })
  })
}

// The partial-import Location tree (crates/core/tests/fixtures): an invalid
// spec, a `$text` to an https:// URL and a ref defined by a second location.
for (const kind of STORES) {
  it(`import() per entity (the default) stores what passes and reports the rest, on ${kind.name}`, async () => {
    const store = kind.create()
    try {
      const { catalog } = await paved.open({ store: store.url })
      const root = path.join(PARTIAL_IMPORT, 'catalog-info.yaml')
      const done = await catalog.import([root], { dryRun: true })
      assert.equal(done.partial, true)
      assert.equal(done.changes.filter((c) => c.outcome === 'created').length, 9)
      assert.deepEqual(
        done.refused.map((d) => [d.entity, d.path, path.basename(d.location.file), d.location.line]),
        [
          ['component:default/refunds', 'spec.lifecycle', 'payments.yaml', 27],
          ['api:default/rates-api', 'spec.definition', 'rates-api.yaml', 11],
        ],
      )
      assert.deepEqual(done.conflicts.map((d) => d.entity), ['component:default/checkout'])
      await rejectsWith(assert, catalog.get('component:default/ledger'), 'NOT_FOUND')
      const full = await catalog.import([root])
      assert.equal(full.partial, true)
      const ledger = await catalog.get('component:default/ledger')
      assert.equal(
        ledger.metadata.annotations['backstage.io/managed-by-location'],
        `file:${realpathSync(path.join(PARTIAL_IMPORT, 'team-b', 'components.yaml'))}`,
      )
      assert.equal(ledger.metadata.annotations['backstage.io/managed-by-origin-location'], `file:${realpathSync(root)}`)
      assert.ok(ledger.relations.some((r) => r.type === 'consumesApi' && r.targetRef === 'api:default/rates-api'))
      await rejectsWith(assert, catalog.get('api:default/rates-api'), 'NOT_FOUND')
    } finally {
      store.drop()
    }
  })
}
