// Policies from Node: bindings in paved.yaml bind a wasm guardrail to
// writes; an enforcing deny rejects with DENIED and its decisions and
// writes nothing; decisions are listed and explained; evaluate() reviews
// without writing.

import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { before, describe, it } from 'node:test'

import { REPO, component, paved, pluginWasm, rejectsWith, scratchDir } from './helpers.mjs'

describe('policies', () => {
  let platform
  before(async () => {
    const dir = scratchDir('paved-node-policies-')
    const config = path.join(dir, 'paved.yaml')
    writeFileSync(
      config,
      JSON.stringify({
        plugins: [
          {
            name: 'naming',
            path: pluginWasm('naming-convention'),
            kind: 'guardrail',
            settings: { patterns: { Component: '^[a-z][a-z0-9-]*$' } },
          },
        ],
        policies: [
          {
            name: 'component-names',
            guardrail: 'naming',
            match: { kinds: ['Component'] },
            description: 'Component names are lower-case words joined by dashes.',
          },
        ],
      }),
    )
    platform = await paved.open({ store: 'sqlite::memory:', config })
  })

  it('list() shows the bindings as configured', async () => {
    const [b] = await platform.policies.list()
    assert.equal(b.name, 'component-names')
    assert.equal(b.mode, 'enforce')
    assert.equal(b.failure, 'closed')
  })

  it('an enforcing deny rejects with DENIED and its decisions; nothing is written', async () => {
    const err = await rejectsWith(assert, platform.catalog.upsert(component('Bad_Name'), { actor: 'user:default/ada' }), 'DENIED')
    const [d] = err.details.decisions
    assert.equal(d.policy, 'component-names')
    assert.equal(d.blocking, true)
    assert.equal(typeof d.id, 'number')
    await rejectsWith(assert, platform.catalog.get('component:default/Bad_Name'), 'NOT_FOUND')

    const recorded = await platform.policies.decisions({ blocking: true })
    assert.deepEqual(recorded.map((r) => r.id), [d.id])
    assert.equal(recorded[0].owner, 'group:default/team-payments')
    assert.equal((await platform.policies.decisions({ team: 'team-payments' })).length, 1)
    assert.deepEqual(await platform.policies.decisions({ team: 'group:default/team-other' }), [])
    const why = await platform.policies.why(d.id)
    assert.match(why.explanation, /component-names/)
    assert.match(why.explanation, /lower-case words/)
    assert.equal(why.decision.actor, 'user:default/ada')
  })

  it('evaluate() reviews without writing and shows plain allows', async () => {
    const [d] = await platform.policies.evaluate(component('good-name'))
    assert.equal(d.verdict, 'allow')
    assert.equal(d.id, undefined)
    await rejectsWith(assert, platform.catalog.get('component:default/good-name'), 'NOT_FOUND')
    await rejectsWith(assert, platform.policies.why(-1), 'VALIDATION')
  })

  it('test() runs policy fixture tests; a broken test file is VALIDATION', async () => {
    const examples = path.join(REPO, 'examples', 'policies')
    const p = await paved.open({ store: 'sqlite::memory:', config: path.join(examples, 'paved.yaml') })
    const report = await p.policies.test(path.join(examples, 'tests'))
    assert.deepEqual([report.passed, report.failed], [15, 0])
    // catalog-rules, the scorecard's rules (component-is-documented, -operable),
    // production-databases-have-backups, resources-carry-cost-center.
    assert.deepEqual(report.cases.map((c) => c.got), ['allow', 'deny', 'warn', 'deny', 'allow', 'allow', 'deny', 'allow', 'deny', 'allow', 'deny', 'deny', 'deny', 'allow', 'deny'])
    const dir = scratchDir('paved-node-policy-tests-')
    const wrong = path.join(dir, 'wrong.test.yaml')
    writeFileSync(wrong, 'cases:\n  - name: not reviewed\n    after: {apiVersion: backstage.io/v1alpha1, kind: Group, metadata: {name: g}, spec: {type: team, children: []}}\n    expect: allow\n')
    const failed = await p.policies.test(wrong)
    assert.equal(failed.failed, 1)
    assert.equal(failed.cases[0].got, undefined)
    assert.match(failed.cases[0].problems[0], /no policy reviewed this change/)
    writeFileSync(wrong, 'policy: nope\ncases: []\n')
    const err = await rejectsWith(assert, p.policies.test(wrong), 'VALIDATION')
    assert.match(err.message, /no policy binding named 'nope'/)
  })
})
