// Approvals from Node: examples/access/paved.yaml holds the delete of a
// production component for the platform team's approval, on SQLite and
// PostgreSQL. The owner's delete rejects with PENDING_APPROVAL carrying the
// request's id and writes nothing; the requester may not approve; another
// process approves it (PostgreSQL: two processes sharing one store) and
// exactly the reviewed delete is written; a rejection writes nothing.

import assert from 'node:assert/strict'
import path from 'node:path'
import { after, before, describe, it } from 'node:test'

import { EXAMPLE_CATALOG, REPO, STORES, inAnotherProcess, paved, rejectsWith } from './helpers.mjs'

const CONFIG = path.join(REPO, 'examples', 'access', 'paved.yaml')
const GATEWAY = 'component:default/payment-gateway'
const DIEGO = 'user:default/diego.ramirez'
const IVAN = 'user:default/ivan.petrov'

for (const kind of STORES) {
  describe(`approvals on ${kind.name}`, () => {
    let store
    let platform
    before(async () => {
      store = kind.create()
      platform = await paved.open({ store: store.url, config: CONFIG })
      await platform.catalog.import([EXAMPLE_CATALOG])
    })
    after(() => store.drop())

    it('holds a production delete, and an approver in another process applies it', async () => {
      const dry = await rejectsWith(assert, platform.catalog.delete(GATEWAY, { actor: DIEGO, dryRun: true }), 'PENDING_APPROVAL')
      assert.equal(dry.details.approval, null)
      assert.deepEqual(await platform.approvals.list(), [])

      const held = await rejectsWith(assert, platform.catalog.delete(GATEWAY, { actor: DIEGO }), 'PENDING_APPROVAL')
      const id = held.details.approval
      assert.match(id, /^[0-9a-f]{12}$/)
      assert.deepEqual(held.details.approvers, ['group:default/team-platform'])
      assert.match(held.message, /payment-gateway runs in production/)
      assert.equal((await platform.catalog.get(GATEWAY)).metadata.name, 'payment-gateway')

      const [pending] = await platform.approvals.list({ status: 'pending' })
      assert.equal(pending.id, id)
      assert.equal(pending.requestedBy, DIEGO)
      assert.deepEqual(pending.changes, [{ entityRef: GATEWAY, outcome: 'deleted' }])
      const own = await rejectsWith(assert, platform.approvals.approve(id, { actor: DIEGO }), 'DENIED')
      assert.match(own.message, /cannot approve it/)
      await rejectsWith(assert, platform.approvals.list({ status: 'maybe' }), 'VALIDATION')

      const out = await inAnotherProcess(
        { url: store.url, config: CONFIG, id, actor: IVAN },
        `const p = await paved.open({ store: store.url, config: store.config })
const done = await p.approvals.approve(store.id, { actor: store.actor, comment: 'retired in CHG-1234' })
process.stdout.write(JSON.stringify(done))`,
      )
      const done = JSON.parse(out)
      assert.equal(done.status, 'applied')
      assert.equal(done.decidedBy, IVAN)
      assert.equal(done.comment, 'retired in CHG-1234')
      await rejectsWith(assert, platform.catalog.get(GATEWAY), 'NOT_FOUND')
      assert.equal((await platform.approvals.get(id)).status, 'applied')
    })

    it('writes nothing when a request is rejected', async () => {
      const checkout = 'component:default/checkout-service'
      const held = await rejectsWith(assert, platform.catalog.delete(checkout, { actor: 'user:default/elif.yilmaz' }), 'PENDING_APPROVAL')
      const rejected = await platform.approvals.reject(held.details.approval, { actor: IVAN, reason: 'not before the migration' })
      assert.equal(rejected.status, 'rejected')
      assert.equal(rejected.comment, 'not before the migration')
      assert.equal((await platform.catalog.get(checkout)).metadata.name, 'checkout-service')
    })
  })
}
