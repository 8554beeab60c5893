// Plugins: the example components (built from examples/plugins by test.sh),
// loaded by open() with settings, grants and limits and used through
// platform.plugins (reviews, provider plans, and audited provider writes);
// inspectPlugin() and checkPlugin() without a platform — and the PLUGIN
// errors of misbehaving ones.

import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { before, describe, it } from 'node:test'

import { component, paved, pluginWasm, rejectsWith, scratchDir } from './helpers.mjs'

const NAMING = { patterns: { Component: '^[a-z][a-z0-9-]*$' } }

function create(entity, actor = 'user:default/ada') {
  const ref = `${entity.kind.toLowerCase()}:default/${entity.metadata.name}`
  return { subject: { entity: ref }, operation: 'create', after: entity, actor }
}

function withPlugins(plugins, options = {}) {
  return paved.open({ store: 'sqlite::memory:', plugins, ...options })
}

describe('plugins', () => {
  let pluginCache
  let dir
  let platform
  before(async () => {
    pluginCache = scratchDir('paved-node-plugins-')
    dir = scratchDir('paved-node-provider-')
    platform = await withPlugins(
      [
        { path: pluginWasm('naming-convention'), kind: 'guardrail', settings: NAMING },
        { path: pluginWasm('local-directory'), kind: 'provider', name: 'files', grants: { dirs: [{ host: dir, guest: '/data', mode: 'rw' }] } },
      ],
      { pluginCache },
    )
  })

  it('inspectPlugin() tells the world, version, exports and capabilities without loading', async () => {
    const i = await paved.inspectPlugin(pluginWasm('require-owner'))
    assert.equal(i.world, 'guardrail')
    assert.match(i.version, /^0\.1/)
    assert.ok(i.exports.some((e) => e.includes('guardrail-api') && e.endsWith('#review')), i.exports.join())
    assert.deepEqual(i.declaredCapabilities, ['catalogue'])
    assert.ok(i.sizeBytes > 0)
    const p = await paved.inspectPlugin(pluginWasm('local-directory'), { pluginCache })
    assert.equal(p.world, 'provider')
  })

  it('plugins.list() and describe(): names by the one naming rule, guardrails first', async () => {
    assert.deepEqual(platform.plugins.list(), [
      { name: 'naming_convention', kind: 'guardrail' },
      { name: 'files', kind: 'provider' },
    ])
    const g = await platform.plugins.describe('naming_convention')
    assert.equal(g.kind, 'guardrail')
    assert.match(g.description, /regular expression/)
    assert.equal(g.settingsSchema.type, 'object')
    const p = await platform.plugins.describe('files')
    assert.ok(p.resourceTypes.some((t) => t.name === 'local.directory'))
    const missing = await rejectsWith(assert, platform.plugins.describe('nope'), 'NOT_FOUND')
    assert.equal(missing.details.id, 'nope')
  })

  it('review() allows and denies with paths; settings for one call', async () => {
    const ok = await platform.plugins.review('naming_convention', create(component('fine-name')))
    assert.equal(ok.verdict, 'allow')
    const bad = await platform.plugins.review('naming_convention', create(component('Bad_Name')))
    assert.equal(bad.verdict, 'deny')
    assert.equal(bad.violations[0].path, 'metadata.name')
    const warn = await platform.plugins.review('naming_convention', create(component('Bad_Name')), { settings: { ...NAMING, enforce: false } })
    assert.equal(warn.verdict, 'warn')
  })

  it('prepareGuardrails: reviews answer as unprepared ones do, per-call settings still applied', async () => {
    const prepared = await withPlugins([{ path: pluginWasm('naming-convention'), kind: 'guardrail', settings: NAMING }], { pluginCache, prepareGuardrails: true })
    for (const name of ['fine-name', 'Bad_Name']) {
      assert.deepEqual(
        await prepared.plugins.review('naming_convention', create(component(name))),
        await platform.plugins.review('naming_convention', create(component(name))),
      )
    }
    const warn = await prepared.plugins.review('naming_convention', create(component('Bad_Name')), { settings: { ...NAMING, enforce: false } })
    assert.equal(warn.verdict, 'warn')
  })

  it('checkPlugin() loads as configured and says what the plugin is; the kind defaults to the one it exports', async () => {
    const info = await paved.checkPlugin(pluginWasm('naming-convention'), { settings: NAMING, pluginCache })
    assert.equal(info.kind, 'guardrail')
    assert.equal(info.name.length > 0, true)
    const err = await rejectsWith(assert, paved.checkPlugin(pluginWasm('naming-convention'), { settings: { patterns: { Component: '(' } } }), 'PLUGIN')
    assert.equal(err.details.kind, 'settings')
    assert.equal(err.details.plugin, 'naming_convention')
    assert.match(err.message, /patterns\.Component/)
  })

  it('settings the plugin rejects are PLUGIN errors of kind settings, at open and per review', async () => {
    const err = await rejectsWith(assert, withPlugins([{ path: pluginWasm('naming-convention'), kind: 'guardrail', settings: { patterns: { Component: '(' } } }]), 'PLUGIN')
    assert.equal(err.details.kind, 'settings')
    const again = await rejectsWith(assert, platform.plugins.review('naming_convention', create(component('x')), { settings: { patterns: { Component: '[' } } }), 'PLUGIN')
    assert.equal(again.details.kind, 'settings')
  })

  it('a change, grants, limits or kind of the wrong shape are VALIDATION errors naming the field', async () => {
    const err = await rejectsWith(assert, platform.plugins.review('naming_convention', { subject: { entity: 'component:default/x' }, operation: 'explode' }), 'VALIDATION')
    assert.equal(err.details.diagnostics[0].path, 'change.operation')
    const wasm = pluginWasm('naming-convention')
    const grants = await rejectsWith(assert, withPlugins([{ path: wasm, kind: 'guardrail', grants: { network: 'db:5432' } }]), 'VALIDATION')
    assert.equal(grants.details.diagnostics[0].path, 'plugins[0].grants.network')
    const limits = await rejectsWith(assert, withPlugins([{ path: wasm, kind: 'guardrail', limits: { timeout: 5 } }]), 'VALIDATION')
    assert.match(limits.details.diagnostics[0].message, /timeout/)
    const kind = await rejectsWith(assert, withPlugins([{ path: wasm, kind: 'policy' }]), 'VALIDATION')
    assert.equal(kind.details.diagnostics[0].path, 'plugins[0].kind')
  })

  it('a missing or wrong-world component is a PLUGIN error of kind load', async () => {
    const missing = await rejectsWith(assert, withPlugins([{ path: '/nonexistent/plugin.wasm', kind: 'guardrail' }]), 'PLUGIN')
    assert.equal(missing.details.kind, 'load')
    assert.equal(missing.details.plugin, 'plugin')
    const wrong = await rejectsWith(assert, withPlugins([{ path: pluginWasm('local-directory'), kind: 'guardrail' }]), 'PLUGIN')
    assert.equal(wrong.details.kind, 'load')
  })

  it('limits hold: a plugin past its deadline or memory cap fails with its kind, and the next call works', async () => {
    const hostile = await withPlugins([
      { path: pluginWasm('hostile'), kind: 'guardrail', name: 'looping', settings: { mode: 'loop' }, limits: { timeoutMs: 200 } },
      { path: pluginWasm('hostile'), kind: 'guardrail', name: 'hoarding', settings: { mode: 'memory' }, limits: { memoryMib: 16 } },
    ])
    const timeout = await rejectsWith(assert, hostile.plugins.review('looping', create(component('x'))), 'PLUGIN')
    assert.equal(timeout.details.kind, 'timeout')
    assert.equal(timeout.details.plugin, 'looping')
    const oom = await rejectsWith(assert, hostile.plugins.review('hoarding', create(component('x'))), 'PLUGIN')
    assert.equal(oom.details.kind, 'out-of-memory')
    const fine = await hostile.plugins.review('looping', create(component('x')), { settings: { mode: 'ok' } })
    assert.equal(fine.verdict, 'allow')
  })

  it('capabilities are denied unless granted', async () => {
    const hostile = await withPlugins([
      { path: pluginWasm('hostile'), kind: 'guardrail', name: 'socket', settings: { mode: 'socket', addr: '127.0.0.1:5432' } },
      { path: pluginWasm('hostile'), kind: 'guardrail', name: 'file', settings: { mode: 'file' } },
    ])
    const denied = await rejectsWith(assert, hostile.plugins.review('socket', create(component('x'))), 'PLUGIN')
    assert.equal(denied.details.kind, 'capability-denied')
    assert.match(denied.message, /network access is not granted/)
    const file = await rejectsWith(assert, hostile.plugins.review('file', create(component('x'))), 'PLUGIN')
    assert.equal(file.details.kind, 'capability-denied')
    assert.match(file.message, /filesystem access is not granted/)
    assert.doesNotMatch(file.message, /root:/)
  })

  it('a provider plans, and apply() is an audited write under the given actor', async () => {
    const address = { resourceType: 'local.directory', name: 'site' }
    const plan = await platform.plugins.plan('files', { address, params: { files: { 'README.md': 'hello' } } })
    assert.equal(plan.operation, 'create')
    const bad = await rejectsWith(assert, platform.plugins.plan('files', { address: { name: 'site' }, params: {} }), 'VALIDATION')
    assert.equal(bad.details.diagnostics[0].path, 'request.address')

    const applied = await platform.plugins.apply('files', { address, params: { files: { 'README.md': 'hello' } } }, { actor: 'user:default/ada' })
    assert.ok(applied.state)
    assert.equal(readFileSync(path.join(dir, 'site', 'README.md'), 'utf8'), 'hello')
    const [record] = (await platform.audit.list({ limit: 1000 })).filter((r) => r.action === 'resource.apply')
    assert.equal(record.actor, 'user:default/ada')
    assert.equal(record.details.plugin, 'files')
    const now = await platform.plugins.read('files', { address, state: applied.state })
    assert.ok(now !== null)
  })
})
