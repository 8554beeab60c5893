// Plugins: load the example components (built from examples/plugins by
// test.sh) with settings, grants and limits; inspect them; review changes;
// plan with a provider — and the PLUGIN errors of misbehaving ones.

import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { before, describe, it } from 'node:test'

import { component, paved, pluginWasm, rejectsWith } from './helpers.mjs'

const NAMING = { patterns: { Component: '^[a-z][a-z0-9-]*$' } }

function create(entity, actor = 'user:default/ada') {
  const ref = `${entity.kind.toLowerCase()}:default/${entity.metadata.name}`
  return { subject: { entity: ref }, operation: 'create', after: entity, actor }
}

describe('plugins', () => {
  let host
  let cacheDir
  before(async () => {
    cacheDir = mkdtempSync(path.join(os.tmpdir(), 'paved-node-plugins-'))
    host = await paved.openPluginHost({ cacheDir })
  })

  it('inspect() tells the world, version, exports and capabilities without loading', async () => {
    const i = await host.inspect(pluginWasm('require-owner'))
    assert.equal(i.world, 'guardrail')
    assert.match(i.version, /^0\.1/)
    assert.ok(i.exports.some((e) => e.includes('guardrail-api') && e.endsWith('#review')), i.exports.join())
    assert.deepEqual(i.declaredCapabilities, ['catalogue'])
    assert.ok(i.sizeBytes > 0)
    const p = await host.inspect(pluginWasm('local-directory'))
    assert.equal(p.world, 'provider')
  })

  it('loadGuardrail() with settings: info, name, cache; review allows and denies with paths', async () => {
    const g = await host.loadGuardrail(pluginWasm('naming-convention'), { settings: NAMING })
    assert.ok(g instanceof paved.Guardrail)
    assert.equal(g.name, 'naming_convention')
    assert.match(g.info.description, /regular expression/)
    assert.equal(g.info.settingsSchema.type, 'object')
    assert.deepEqual(g.info.capabilities, [])

    const ok = await g.review(create(component('fine-name')))
    assert.equal(ok.verdict, 'allow')
    const bad = await g.review(create(component('Bad_Name')))
    assert.equal(bad.verdict, 'deny')
    assert.equal(bad.violations[0].path, 'metadata.name')
    // settings for one call: warn instead of deny
    const warn = await g.review(create(component('Bad_Name')), { settings: { ...NAMING, enforce: false } })
    assert.equal(warn.verdict, 'warn')
  })

  it('prepareGuardrails: reviews start from a snapshot and answer as unprepared ones do', async () => {
    const preparing = await paved.openPluginHost({ cacheDir, prepareGuardrails: true })
    const prepared = await preparing.loadGuardrail(pluginWasm('naming-convention'), { settings: NAMING })
    const plain = await host.loadGuardrail(pluginWasm('naming-convention'), { settings: NAMING })
    assert.equal(prepared.prepared, true)
    assert.equal(plain.prepared, false)
    for (const [name, verdict] of [['fine-name', 'allow'], ['Bad_Name', 'deny']]) {
      const review = await prepared.review(create(component(name)))
      assert.equal(review.verdict, verdict)
      assert.deepEqual(review, await plain.review(create(component(name))))
    }
    const warn = await prepared.review(create(component('Bad_Name')), { settings: { ...NAMING, enforce: false } })
    assert.equal(warn.verdict, 'warn')
  })

  it('the precompiled cache is used on the next load', async () => {
    const again = await host.loadGuardrail(pluginWasm('naming-convention'), { name: 'naming', settings: NAMING })
    assert.equal(again.name, 'naming')
    const other = await paved.openPluginHost({ cacheDir })
    const third = await other.loadGuardrail(pluginWasm('naming-convention'), { settings: NAMING })
    assert.equal(third.name, 'naming_convention')
  })

  it('settings the plugin rejects are PLUGIN errors of kind settings, at load and on validateSettings()', async () => {
    const err = await rejectsWith(assert, host.loadGuardrail(pluginWasm('naming-convention'), { settings: { patterns: { Component: '(' } } }), 'PLUGIN')
    assert.equal(err.details.kind, 'settings')
    assert.equal(err.details.plugin, 'naming_convention')
    assert.match(err.details.reason, /patterns\.Component/)
    const g = await host.loadGuardrail(pluginWasm('naming-convention'), { settings: NAMING })
    await g.validateSettings({ patterns: {} })
    const again = await rejectsWith(assert, g.validateSettings({ patterns: { Component: '[' } }), 'PLUGIN')
    assert.equal(again.details.kind, 'settings')
  })

  it('a change or grants of the wrong shape are VALIDATION errors naming the field', async () => {
    const g = await host.loadGuardrail(pluginWasm('naming-convention'), { settings: NAMING })
    const err = await rejectsWith(assert, g.review({ subject: { entity: 'component:default/x' }, operation: 'explode' }), 'VALIDATION')
    assert.equal(err.details.diagnostics[0].path, 'change.operation')
    const grants = await rejectsWith(assert, host.loadGuardrail(pluginWasm('naming-convention'), { grants: { network: 'db:5432' } }), 'VALIDATION')
    assert.equal(grants.details.diagnostics[0].path, 'grants.network')
    const limits = await rejectsWith(assert, host.loadGuardrail(pluginWasm('naming-convention'), { limits: { timeout: 5 } }), 'VALIDATION')
    assert.match(limits.details.diagnostics[0].message, /timeout/)
  })

  it('a missing or wrong-world component is a PLUGIN error of kind load', async () => {
    const missing = await rejectsWith(assert, host.loadGuardrail('/nonexistent/plugin.wasm'), 'PLUGIN')
    assert.equal(missing.details.kind, 'load')
    assert.equal(missing.details.plugin, 'plugin')
    const wrong = await rejectsWith(assert, host.loadGuardrail(pluginWasm('local-directory')), 'PLUGIN')
    assert.equal(wrong.details.kind, 'load')
  })

  it('limits hold: a plugin past its deadline or memory cap fails with its kind, and the next call works', async () => {
    const looping = await host.loadGuardrail(pluginWasm('hostile'), { settings: { mode: 'loop' }, limits: { timeoutMs: 200 } })
    const timeout = await rejectsWith(assert, looping.review(create(component('x'))), 'PLUGIN')
    assert.equal(timeout.details.kind, 'timeout')
    assert.equal(timeout.details.plugin, 'hostile')
    const hoarding = await host.loadGuardrail(pluginWasm('hostile'), { settings: { mode: 'memory' }, limits: { memoryMib: 16 } })
    const oom = await rejectsWith(assert, hoarding.review(create(component('x'))), 'PLUGIN')
    assert.equal(oom.details.kind, 'out-of-memory')
    const fine = await looping.review(create(component('x')), { settings: { mode: 'ok' } })
    assert.equal(fine.verdict, 'allow')
  })

  it('capabilities are denied unless granted', async () => {
    const socket = await host.loadGuardrail(pluginWasm('hostile'), { settings: { mode: 'socket', addr: '127.0.0.1:5432' } })
    const denied = await rejectsWith(assert, socket.review(create(component('x'))), 'PLUGIN')
    assert.equal(denied.details.kind, 'capability-denied')
    assert.match(denied.details.reason, /127\.0\.0\.1:5432 is not granted/)
    // no directory is granted: reaching for the filesystem is a denied capability
    const file = await host.loadGuardrail(pluginWasm('hostile'), { settings: { mode: 'file' } })
    const missing = await rejectsWith(assert, file.review(create(component('x'))), 'PLUGIN')
    assert.equal(missing.details.kind, 'capability-denied')
    assert.match(missing.details.reason, /filesystem access is not granted/)
    assert.doesNotMatch(missing.details.reason, /root:/)
  })

  it('loadProvider() with a directory grant: info and plan', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'paved-node-provider-'))
    const p = await host.loadProvider(pluginWasm('local-directory'), { grants: { dirs: [{ host: dir, guest: '/data', mode: 'rw' }] } })
    assert.ok(p instanceof paved.Provider)
    assert.equal(p.name, 'local_directory')
    assert.ok(p.info.resourceTypes.some((t) => t.name === 'local.directory'))
    const plan = await p.plan({ address: { resourceType: 'local.directory', name: 'site' }, params: { files: { 'README.md': 'hello' } } })
    assert.equal(plan.operation, 'create')
    const bad = await rejectsWith(assert, p.plan({ address: { name: 'site' }, params: {} }), 'VALIDATION')
    assert.equal(bad.details.diagnostics[0].path, 'request.address')
  })
})
