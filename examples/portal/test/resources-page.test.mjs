// The Provisioning section and the Resources page as HTML, from values of
// the shapes platform.resources returns: a sensitive output never shows its
// value (even one a caller revealed), and every string from the engine,
// a provider or a catalogue file is escaped. (The browser test covers the
// pages on a real store; the local-directory provider has no sensitive
// outputs to show there.)

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'

import { approvalPage } from '../lib/approvals-page.mjs'
import { provisioningSection, resourcesPage } from '../lib/resources-page.mjs'

const EVIL = '<img src=x onerror="alert(1)">'
const ADDRESS = { resourceType: 'postgres.database', name: 'orders', owner: 'group:default/team-a' }

const state = {
  resource: 'resource:default/orders',
  version: 3,
  at: '2026-05-01T10:20:30.123456Z',
  status: 'managed',
  operation: 'update',
  address: ADDRESS,
  provider: 'postgres',
  providerVersion: '0.1.0',
  // As outputs({ reveal: true }) would give them: the portal must not show the value.
  outputs: { host: `db${EVIL}`, password: 'hunter2-revealed' },
  sensitive: ['password'],
  dependsOn: [],
  deletionPolicy: 'delete',
  plan: 'p1',
  actor: 'user:default/ada',
  lease: { resource: 'resource:default/orders', holder: `ci ${EVIL}`, operation: 'apply', acquiredAt: '2026-05-01T10:20:30Z', expiresAt: '2026-05-01T10:21:00Z' },
  lastDrift: { status: 'drifted', changes: [`state.${EVIL}`], at: '2026-05-01T10:20:31Z' },
}

const plan = {
  id: 'p2',
  blocked: true,
  resources: [
    {
      resource: 'resource:default/orders',
      address: ADDRESS,
      provider: 'postgres',
      action: 'replace',
      diff: [
        { path: 'params.encoding', before: 'UTF8', after: EVIL, requiresReplace: true },
        { path: 'params.password', before: '(sensitive)', after: '(sensitive)' },
      ],
      notes: [EVIL],
      priorVersion: 3,
      level: 0,
    },
  ],
  decisions: [
    {
      policy: 'no-replacing-databases',
      guardrail: 'rego',
      guardrailVersion: '1',
      point: 'resource.apply',
      subject: 'postgres.database/orders',
      verdict: 'deny',
      mode: 'enforce',
      blocking: true,
      violations: [{ path: 'params.encoding', message: `cannot change ${EVIL}` }],
      durationUs: 1,
      actor: 'user:default/ada',
    },
  ],
}

describe('resources-page rendering', () => {
  it('shows a sensitive output as (sensitive), never its value', () => {
    const out = String(provisioningSection({ state, history: [state], plan }))
    assert.ok(!out.includes('hunter2-revealed'), 'a sensitive value was shown')
    assert.match(out, /<td><code>password<\/code><\/td><td><span class="sensitive">\(sensitive\)<\/span><\/td>/)
  })

  it('escapes what the engine, providers and catalogue files say', () => {
    const out = String(provisioningSection({ state, history: [state], plan }))
    assert.ok(!out.includes('<img'), 'markup from a value was rendered')
    assert.ok(out.includes('&lt;img src=x onerror=&quot;alert(1)&quot;&gt;'))
    // The plan: sign, forced replacement, the policy that blocks it.
    assert.match(out, /<code class="sign" aria-hidden="true">-\/\+<\/code> <strong>replace<\/strong>/)
    assert.match(out, /forces replacement/)
    assert.match(out, /An enforcing policy blocks it/)
    assert.match(out, /no-replacing-databases<\/td><td>deny \(blocked\)/)
    const failed = String(provisioningSection({ state: null, history: [], planError: { code: 'VALIDATION', message: `spec.params.files: ${EVIL}` } }))
    assert.match(failed, /Not provisioned yet/)
    assert.ok(!failed.includes('<img'))
    assert.match(failed, /No plan: VALIDATION: spec\.params\.files: &lt;img/)
  })

  it('shows a held resource plan on its approval page: what it does to each resource', () => {
    const held = {
      id: 'abc123def456',
      status: 'pending',
      requestedBy: 'user:default/jane',
      requestedAt: '2026-05-01T10:20:30Z',
      expiresAt: '2026-05-02T10:20:30Z',
      action: 'resource.apply',
      changes: [
        { entityRef: 'resource:default/orders', outcome: 'updated', action: 'replace' },
        { entityRef: 'resource:default/cache', outcome: 'deleted', action: 'delete' },
      ],
      required: [{ policy: 'no-replacing-databases', approvers: ['group:default/leads'] }],
      decisions: plan.decisions,
    }
    const page = String(approvalPage(held, 'user:default/lead', null, []))
    const lines = [...page.matchAll(/<li><code>resource<\/code> (.*?)<\/li>/g)].map((m) => m[1])
    assert.deepEqual(lines, ['<a href="/catalog/default/resource/orders">orders</a> replace', '<a href="/catalog/default/resource/cache">cache</a> delete'])
  })

  it('groups resources by owner and escapes the list', () => {
    const row = (resource, owner, extra = {}) => ({ resource, resourceType: 'local.directory', owner, version: 0, declared: true, managed: true, ...extra })
    const page = String(
      resourcesPage(
        {
          owners: ['', 'group:default/team-a', 'group:default/team-b'],
          resources: [
            row('resource:default/a', 'group:default/team-a', { status: 'managed', version: 2, lastDrift: state.lastDrift, lease: state.lease }),
            row(`resource:default/b`, 'group:default/team-b', { environment: EVIL }),
            row('resource:default/c', undefined, { declared: false, status: 'destroyed', version: 4 }),
          ],
        },
        null,
        [],
      ),
    )
    assert.deepEqual(
      [...page.matchAll(/<section class="team-resources" data-owner="([^"]*)"/g)].map((m) => m[1]),
      ['group:default/team-a', 'group:default/team-b', ''],
    )
    assert.ok(!page.includes('<img'))
    assert.match(page, /<span class="drift drift-drifted">drifted<\/span>/)
    assert.match(page, /c <span class="hint">\(no longer in the catalogue\)<\/span>/)
    assert.match(page, /<td class="status status-none">not applied yet<\/td>/)
  })
})
