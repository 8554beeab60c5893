// The audit log and events on each store, including events committed by
// another process on a shared PostgreSQL store.

import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { after, before, describe, it } from 'node:test'

import { STORES, component, inAnotherProcess, paved, rejectsWith, scratchDir, within } from './helpers.mjs'

for (const kind of STORES) {
  describe(`audit and events on ${kind.name}`, () => {
    let store
    let platform
    before(async () => {
      store = kind.create()
      platform = await paved.open({ store: store.url })
    })
    after(() => store.drop())

    it('every write is an audit record with actor, action and a hash chain', async () => {
      await platform.catalog.upsert(component('audited'), { actor: 'user:default/ada' })
      await platform.catalog.upsert(component('audited', { lifecycle: 'production' }), { actor: 'user:default/bob' })
      await platform.catalog.delete('component:default/audited', { actor: 'user:default/cy' })
      const records = await platform.audit.list()
      assert.deepEqual(records.map((r) => r.seq), [1, 2, 3])
      assert.deepEqual(records.map((r) => r.action), ['entity.create', 'entity.update', 'entity.delete'])
      assert.deepEqual(records.map((r) => r.actor), ['user:default/ada', 'user:default/bob', 'user:default/cy'])
      assert.equal(records[1].prevHash, records[0].hash)
      assert.equal(records[0].details.origin, platform.origin)
      assert.deepEqual((await platform.audit.list({ after: 1, limit: 1 })).map((r) => r.seq), [2])

      const about = await platform.audit.forEntity('component:default/audited')
      assert.deepEqual(about.map((r) => r.seq), [3, 2, 1])
      assert.equal((await platform.audit.forEntity('component:default/audited', { limit: 1 })).length, 1)
      await rejectsWith(assert, platform.audit.forEntity('::'), 'VALIDATION')

      const report = await platform.audit.verify()
      assert.equal(report.ok, true)
      assert.equal(report.checked, 3)
      assert.equal(report.head, records[2].hash)
      assert.equal(report.broken, undefined)
    })

    it('a dry run leaves no audit record', async () => {
      const before = (await platform.audit.list({ limit: 1000 })).length
      await platform.catalog.upsert(component('dry'), { dryRun: true })
      assert.equal((await platform.audit.list({ limit: 1000 })).length, before)
    })

    it('subscribe() delivers this process\'s events; for await; close() ends it', async () => {
      const sub = platform.subscribe()
      const got = []
      const done = (async () => {
        for await (const e of sub) {
          got.push(e)
          if (got.length === 2) break
        }
      })()
      await platform.catalog.upsert(component('evented'), { actor: 'user:default/ada' })
      await platform.catalog.delete('component:default/evented')
      await within(10000, done, 'two events')
      assert.deepEqual(got.map((e) => e.kind), ['entity.created', 'entity.deleted'])
      assert.deepEqual(got.map((e) => e.subject), ['component:default/evented', 'component:default/evented'])
      assert.equal(got[0].actor, 'user:default/ada')
      assert.equal(got[0].origin, platform.origin)
      assert.ok(got[0].etag)
      assert.ok(got[1].seq > got[0].seq)
      // leaving the loop closed the subscription
      assert.equal(await sub.recv(), null)
    })

    it('a subscriber that fell behind gets LAGGED with details.missed once, then iterates on', async () => {
      const sub = platform.subscribe()
      // More events than the bus keeps (4096) while nobody reads.
      const dir = scratchDir('paved-node-lag-')
      const docs = Array.from({ length: 4200 }, (_, i) => JSON.stringify(component(`lag-${i}`))).join('\n---\n')
      writeFileSync(path.join(dir, 'many.yaml'), docs)
      await platform.catalog.import([dir])
      const err = await rejectsWith(assert, within(10000, sub.recv(), 'the lag'), 'LAGGED')
      assert.ok(err.details.missed > 0, JSON.stringify(err.details))
      let after = 0
      for await (const e of sub) {
        assert.equal(e.kind, 'entity.created')
        if (++after === 3) break
      }
      assert.equal(after, 3)
    })

    it('close() resolves a pending recv() with null', async () => {
      const sub = platform.subscribe()
      const pending = sub.recv()
      sub.close()
      assert.equal(await within(5000, pending, 'recv after close'), null)
    })

    if (kind.name === 'postgres') {
      it('delivers events committed by another process', async () => {
        const sub = platform.subscribe()
        const next = sub.recv()
        const out = await inAnotherProcess(
          store.url,
          `const p = await paved.open({ store })
const set = await p.catalog.upsert({ apiVersion: 'backstage.io/v1alpha1', kind: 'Component',
  metadata: { name: 'from-elsewhere' }, spec: { type: 'service', lifecycle: 'production', owner: 'team-x' } },
  { actor: 'user:default/other' })
console.log(JSON.stringify({ origin: p.origin, etag: set.changes[0].etag }))`,
        )
        const { origin, etag } = JSON.parse(out)
        const e = await within(15000, next, 'the other process\'s event')
        sub.close()
        assert.equal(e.subject, 'component:default/from-elsewhere')
        assert.equal(e.kind, 'entity.created')
        assert.equal(e.actor, 'user:default/other')
        assert.equal(e.etag, etag)
        assert.equal(e.origin, origin)
        assert.notEqual(e.origin, platform.origin)
      })
    }
  })
}
