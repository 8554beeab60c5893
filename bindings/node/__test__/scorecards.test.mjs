// Scorecards from Node: the example scorecard (examples/policies/paved.yaml)
// on the sample catalogue, on SQLite and PostgreSQL. An entity's level and
// what to fix next, a team's levels, snapshots recorded and read back as the
// team's trend, and clear errors for an unknown scorecard or actor.

import assert from 'node:assert/strict'
import path from 'node:path'
import { after, before, describe, it } from 'node:test'

import { EXAMPLE_CATALOG, REPO, STORES, paved, rejectsWith } from './helpers.mjs'

const CONFIG = path.join(REPO, 'examples', 'policies', 'paved.yaml')
const PAYMENTS = 'group:default/team-payments'

for (const kind of STORES) {
  describe(`scorecards on ${kind.name}`, () => {
    let store
    let platform
    before(async () => {
      store = kind.create()
      platform = await paved.open({ store: store.url, config: CONFIG })
      await platform.catalog.import([EXAMPLE_CATALOG])
    })
    after(() => store.drop())

    it('scores an entity: its level, the next one, and what to fix', async () => {
      assert.deepEqual(platform.scorecards.list().map((c) => c.name), ['production-readiness'])
      const [score] = await platform.scorecards.score('component:default/checkout-service')
      assert.equal(score.level, 'silver')
      assert.equal(score.nextLevel, 'gold')
      const failed = score.rules.filter((r) => r.status === 'failed')
      assert.deepEqual(failed.map((r) => r.policy), ['component-is-operable'])
      assert.match(failed[0].violations[0].message, /no links/)
    })

    it("scores a team's entities and keeps its trend", async () => {
      const [team] = await platform.scorecards.team(PAYMENTS)
      assert.equal(team.entities, 4)
      assert.deepEqual(team.levels.map((l) => [l.level, l.entities]), [['bronze', 3], ['silver', 1], ['gold', 0]])
      const dry = await platform.scorecards.record({ dryRun: true })
      assert.equal(dry[0].id, undefined)
      assert.deepEqual(await platform.scorecards.history(PAYMENTS), [])
      const recorded = await platform.scorecards.record({ actor: 'user:default/scorer' })
      assert.ok(recorded.some((s) => s.team === PAYMENTS && s.id > 0))
      const [snapshot] = await platform.scorecards.history(PAYMENTS, { scorecard: 'production-readiness', limit: 5 })
      assert.equal(snapshot.below, 0)
      assert.ok(snapshot.at)
    })

    it('names what is wrong', async () => {
      await rejectsWith(assert, platform.scorecards.score('component:default/web-shop', { scorecard: 'nope' }), 'NOT_FOUND')
      await rejectsWith(assert, platform.scorecards.record({ actor: 'not a ref' }), 'VALIDATION')
      await rejectsWith(assert, platform.scorecards.history(PAYMENTS, { limit: -1 }), 'VALIDATION')
    })
  })
}
