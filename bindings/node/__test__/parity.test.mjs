// Parity with the facade: every operation of `paved::surface::OPERATIONS`
// (`surface()`) is reachable under its `node` property path, from the module
// or from a Platform, and every write takes `actor` and `dryRun` and hands
// them to core as given (no default of its own): a dry run is one (or, for
// provider calls, refused by core), and the actor is the audit record's.
// Resource operations take the options their row's defaults name.

import assert from 'node:assert/strict'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { after, before, describe, it } from 'node:test'

import { REPO, component, paved, pluginWasm, rejectsWith, resource, scratchDir } from './helpers.mjs'

const ACTOR = 'user:default/parity'
const ROWS = paved.surface()

/** The value at a dotted property path, from the module or else from a Platform. */
function resolve(platform, dotted) {
  const [head, ...rest] = dotted.split('.')
  let value = head in paved ? paved[head] : platform[head]
  for (const key of rest) value = value === undefined || value === null ? undefined : value[key]
  return value
}

describe('parity with paved::surface::OPERATIONS', () => {
  let platform
  // With the example scorecard and one scored component: a snapshot to record.
  let scoring
  let dir
  let holding
  const heldIds = []
  before(async () => {
    scoring = await paved.open({ store: 'sqlite::memory:', config: path.join(REPO, 'examples', 'policies', 'paved.yaml') })
    await scoring.catalog.upsert(component('scored'))
    dir = scratchDir('paved-node-parity-')
    // Two deletes held for approval (examples/access/paved.yaml), one to
    // approve and one to reject.
    holding = await paved.open({ store: 'sqlite::memory:', config: path.join(REPO, 'examples', 'access', 'paved.yaml') })
    await holding.catalog.import([path.join(REPO, 'examples', 'catalog')])
    for (const name of ['payment-gateway', 'checkout-service']) {
      const held = await rejectsWith(assert, holding.catalog.delete(`component:default/${name}`, { actor: 'user:default/diego.ramirez' }), 'PENDING_APPROVAL')
      heldIds.push(held.details.approval)
    }
    platform = await paved.open({
      store: 'sqlite::memory:',
      plugins: [
        { path: pluginWasm('local-directory'), kind: 'provider', grants: { dirs: [{ host: dir, guest: '/data', mode: 'rw' }] } },
      ],
    })
    // A resource to apply, destroy, check and read, and a directory to import.
    await platform.catalog.upsert(resource('parity-dir', { files: { 'a.txt': 'a' } }))
    await platform.catalog.upsert(resource('parity-found'))
    mkdirSync(path.join(dir, 'parity-found'))
    writeFileSync(path.join(dir, 'parity-found', 'b.txt'), 'b')
    // A golden path to run.
    await platform.catalog.import([path.join(REPO, 'bindings', 'node', '__test__', 'fixtures', 'paths', 'template.yaml')])
  })

  it('surface() lists the operations, each with a node name', () => {
    assert.ok(ROWS.length >= 25, `${ROWS.length} rows`)
    for (const row of ROWS) assert.equal(typeof row.node, 'string', JSON.stringify(row))
  })

  for (const row of ROWS) {
    it(`${row.name} is ${row.node}`, async () => {
      if (row.node.startsWith('PavedError.')) {
        // A property of every error the engine throws.
        const err = await rejectsWith(assert, platform.catalog.get('component:default/missing'), 'NOT_FOUND')
        assert.ok(row.node.split('.')[1] in err, row.node)
        return
      }
      assert.equal(typeof resolve(platform, row.node), 'function', row.node)
    })
  }

  const writes = ROWS.filter((r) => r.writes)
  const DRY = { actor: ACTOR, dryRun: true }
  const request = { address: { resourceType: 'local.directory', name: 'parity' }, params: { files: { 'a.txt': 'a' } } }
  const DIR = 'resource:default/parity-dir'
  // For each write row: a call with options, and what makes it a real write.
  let n = 0
  const CALLS = {
    'catalog.import': (c, o) => {
      const file = path.join(dir, `import-${++n}.yaml`)
      writeFileSync(file, JSON.stringify(component(`imported-${n}`)))
      return c.import([file], o)
    },
    'catalog.upsert': (c, o) => c.upsert(component(`upserted-${++n}`), o),
    // A registered location whose file changed since its last read.
    'catalog.refresh': async (c, o) => refreshed(c, (file) => c.refresh(file, o)),
    'catalog.refreshes': async (c, o) =>
      refreshed(c, async (location) => {
        for await (const event of c.refreshes({ ...o, location })) if (event.event === 'done') return event
      }),
    'catalog.delete': async (c, o) => {
      const name = `deleted-${++n}`
      await c.upsert(component(name), o.dryRun ? {} : o)
      return c.delete(`component:default/${name}`, o)
    },
    'plugins.apply': (p, o) => p.apply('local_directory', request, o),
    'plugins.import': (p, o) => p.import('local_directory', { address: request.address, externalId: 'parity' }, o),
    'plugins.delete': (p, o) => p.delete('local_directory', { address: request.address, state: {} }, o),
    'scorecards.record': (s, o) => s.record(o),
    'approvals.approve': (a, o) => a.approve(heldIds[0], o),
    'approvals.reject': (a, o) => a.reject(heldIds[1], o),
    // Each resource call makes what it needs first, as the same actor (rows
    // may come in any order): a change to apply, a resource to destroy,
    // check or read.
    'resources.apply': async (r, o) => {
      await platform.catalog.upsert(resource('parity-dir', { files: { 'a.txt': `a${++n}` } }), { actor: o.actor })
      return r.apply([DIR], o)
    },
    'resources.destroy': async (r, o) => {
      await r.apply([DIR], { actor: o.actor })
      return r.destroy([DIR], o)
    },
    'resources.drift': async (r, o) => {
      await r.apply([DIR], { actor: o.actor })
      return r.drift([DIR], o)
    },
    'resources.import': (r, o) => r.import('resource:default/parity-found', 'parity-found', o),
    'resources.outputs': async (r, o) => {
      await r.apply([DIR], { actor: o.actor })
      return r.outputs(DIR, { ...o, reveal: true })
    },
    'resources.unlock': (r, o) => r.unlock(DIR, o),
    // A golden path run in a workspace of its own; resuming needs a run
    // killed mid-way (paths.test.mjs kills one and resumes it).
    'paths.run': (p, o) => p.run('create-service', { name: `parity-path-${++n}`, apiKey: 'k' }, { ...o, workspace: path.join(dir, `ws-${n}`) }),
    'paths.resume': (p, o) => p.resume('no-such-run', o),
  }
  /** Change (first: register) the location `refreshed.yaml`, refresh it; its plan as a change set's. */
  async function refreshed(c, refresh) {
    const file = path.join(dir, 'refreshed.yaml')
    if (!existsSync(file)) {
      writeFileSync(file, JSON.stringify(component('refreshed')))
      await c.import([file])
    }
    writeFileSync(file, JSON.stringify(component('refreshed', {}, { description: `read ${++n}` })))
    const report = await refresh(file)
    return { dryRun: report.dryRun, changes: report.locations[0].changes }
  }
  const APPROVER = 'user:default/ivan.petrov'

  it('every write row has a call here', () => {
    assert.deepEqual(writes.map((r) => r.node).sort(), Object.keys(CALLS).sort())
  })

  /** The write options a row takes: actor and dryRun, or (resources, paths) those its defaults name. */
  const takes = (row) =>
    row.node.startsWith('resources.') || row.node.startsWith('paths.')
      ? row.defaults
          .map(([name]) => ({ actor: 'actor', dry_run: 'dryRun' })[name])
          .filter(Boolean)
          .join(' and ')
      : 'actor and dryRun'

  for (const row of writes) {
    it(`${row.node} takes ${takes(row)} and passes them on`, async () => {
      const [handle] = row.node.split('.')
      const target = handle === 'scorecards' ? scoring : handle === 'approvals' ? holding : platform
      const call = (o) => CALLS[row.node](target[handle], o)
      if (handle === 'approvals') {
        // The actor reaches core (which refuses a non-member, naming it);
        // an approver's dry run writes nothing; a real one is recorded
        // under the approver.
        const err = await rejectsWith(assert, call(DRY), 'DENIED')
        assert.ok(err.message.includes(ACTOR), err.message)
        const before = (await holding.audit.list({ limit: 10000 })).length
        await call({ actor: APPROVER, dryRun: true })
        assert.equal((await holding.audit.list({ limit: 10000 })).length, before, 'a dry run wrote')
        const decided = await call({ actor: APPROVER })
        assert.equal(decided.decidedBy, APPROVER)
        return
      }
      if (row.node === 'paths.resume') {
        // The options reach core, which looks the run up first.
        await rejectsWith(assert, call({ actor: ACTOR }), 'NOT_FOUND')
        return
      }
      if (handle === 'resources') {
        const takes = new Set(row.defaults.map(([name]) => name))
        if (takes.has('dry_run') && row.node !== 'resources.unlock') {
          const report = await call(DRY)
          assert.equal(report.dryRun, true)
          assert.deepEqual(report.results, [], 'a dry run did something')
        }
        if (row.node === 'resources.outputs' || row.node === 'resources.unlock') {
          // Neither records anything here (no sensitive output to reveal,
          // no lease to release), so the actor shows only in core's check:
          // unlock checks it always, outputs only when revealing a secret.
          if (row.node === 'resources.unlock') {
            assert.equal(await call({ actor: ACTOR, dryRun: true }), null)
            const err = await rejectsWith(assert, call({ actor: 'nobody' }), 'VALIDATION')
            assert.equal(err.details.diagnostics[0].path, 'actor')
          } else {
            assert.deepEqual(await call({ actor: ACTOR }), { path: '/data/parity-dir' })
          }
          return
        }
      } else if (handle === 'catalog') {
        const plan = await call(DRY)
        assert.equal(plan.dryRun, true)
        assert.equal(plan.changes.length, 1)
      } else if (handle === 'scorecards') {
        const snapshots = await call(DRY)
        assert.equal(snapshots.length, 1)
        assert.equal(snapshots[0].id, undefined, 'a dry run records nothing')
      } else if (handle === 'plugins') {
        // Core refuses to preview a provider call: the option reached it.
        const err = await rejectsWith(assert, call(DRY), 'VALIDATION')
        assert.equal(err.details.diagnostics[0].path, 'dry_run')
      }
      // A real write is recorded under the given actor (or fails in the
      // provider after core recorded who tried).
      const before = (await target.audit.list({ limit: 10000 })).length
      await call({ actor: ACTOR }).catch(() => {})
      const records = await target.audit.list({ after: before, limit: 10000 })
      assert.ok(records.length > 0, `${row.node} left no audit record`)
      assert.ok(records.every((r) => r.actor === ACTOR), JSON.stringify(records.map((r) => r.actor)))
    })
  }
})
