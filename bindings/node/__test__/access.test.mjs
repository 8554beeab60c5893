// Access control from Node: the rules of examples/access/paved.yaml on the
// sample organisation. A refused write rejects with DENIED naming the rule
// and the actor and writes nothing; an owner's write passes (an API: deleting
// a production component is held for approval, approvals.test.mjs).

import assert from 'node:assert/strict'
import path from 'node:path'
import { before, describe, it } from 'node:test'

import { REPO, paved, rejectsWith } from './helpers.mjs'

const GATEWAY = 'component:default/payment-gateway'
const PAYMENTS_API = 'api:default/payments-api'

describe('access control', () => {
  let platform
  before(async () => {
    platform = await paved.open({ store: 'sqlite::memory:', config: path.join(REPO, 'examples', 'access', 'paved.yaml') })
    await platform.catalog.import([path.join(REPO, 'examples', 'catalog')])
  })

  it('refuses a non-owner, naming the rules that would allow the change, and writes nothing', async () => {
    const err = await rejectsWith(assert, platform.catalog.delete(GATEWAY, { actor: 'user:default/gustav.lind' }), 'DENIED')
    assert.equal(err.details.by, 'access default')
    assert.match(err.message, /user:default\/gustav\.lind may not entity\.delete/)
    assert.match(err.message, /'owners-change-what-they-own' \(for owners\)/)
    const unknown = await rejectsWith(assert, platform.catalog.delete(GATEWAY, { actor: 'user:default/nobody', dryRun: true }), 'DENIED')
    assert.equal(unknown.details.by, 'access unknown')
    assert.equal((await platform.catalog.get(GATEWAY)).metadata.name, 'payment-gateway')
  })

  it('lets a member of the owning team make the change', async () => {
    await platform.catalog.delete(PAYMENTS_API, { actor: 'user:default/diego.ramirez' })
    await rejectsWith(assert, platform.catalog.get(PAYMENTS_API), 'NOT_FOUND')
  })
})
