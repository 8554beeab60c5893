// Resources from Node, on SQLite and PostgreSQL, with the real
// local-directory provider (built from examples/plugins by test.sh) loaded
// from a paved.yaml and granted a temporary directory at /data: a Resource
// entity is planned, applied (the file is on disk), planned again (no
// changes), edited by hand (drift says so, apply repairs it), read back
// (state, history, outputs, list), held by a process that crashed (LOCKED
// until unlocked), destroyed; an existing directory is imported; bad params
// and bad options are VALIDATION errors naming the field. A directory whose
// file holds a database's connection URL (the real postgres provider) shows
// it as `(sensitive)` in its plan.

import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { after, before, describe, it } from 'node:test'

import { STORES, inAnotherProcess, paved, pluginWasm, psql, rejectsWith, resource, scratchDir } from './helpers.mjs'

const ADA = 'user:default/ada'
const REF = 'resource:default/app-dir'
const APP = resource('app-dir', { files: { 'README.md': 'hello' } })

for (const kind of STORES) {
  describe(`resources on ${kind.name}`, () => {
    let store
    let data
    let conf
    let config
    let platform
    let created
    let repaired
    const file = () => path.join(data, 'app-dir', 'README.md')

    before(async () => {
      store = kind.create()
      data = scratchDir('paved-node-resources-')
      conf = scratchDir('paved-node-resources-conf-')
      // Outputs are sealed at rest; PostgreSQL has no file to keep a key
      // beside, so the config names one (SQLite would make its own).
      writeFileSync(path.join(conf, 'state.key'), randomBytes(32).toString('base64'))
      config = path.join(conf, 'paved.yaml')
      writeFileSync(
        config,
        JSON.stringify({
          pluginCache: 'cache',
          plugins: [{ name: 'local_directory', path: pluginWasm('local-directory'), kind: 'provider', grants: { dirs: [{ host: data, guest: '/data', mode: 'rw' }] } }],
          resources: { stateKey: { file: 'state.key' } },
        }),
      )
      platform = await paved.open({ store: store.url, config, actor: ADA })
    })
    after(() => {
      store.drop()
      rmSync(data, { recursive: true, force: true })
      rmSync(conf, { recursive: true, force: true })
    })

    it('plans a create, applies it (the file is on disk), then plans no changes', async () => {
      await platform.catalog.upsert(APP)
      const plan = await platform.resources.plan([REF])
      assert.equal(plan.blocked, false)
      assert.equal(plan.resources.length, 1)
      const [p] = plan.resources
      assert.equal(p.resource, REF)
      assert.equal(p.action, 'create')
      assert.equal(p.provider, 'local_directory')
      assert.deepEqual(p.address, { resourceType: 'local.directory', name: 'app-dir', owner: 'group:default/team-a' })
      assert.deepEqual(
        p.diff.map((d) => [d.path, d.after]),
        [['files.README.md', 'hello']],
      )
      assert.equal(p.priorVersion, 0)
      assert.equal(existsSync(file()), false, 'a plan changed something')

      const dry = await platform.resources.apply([], { dryRun: true })
      assert.equal(dry.dryRun, true)
      assert.deepEqual(dry.results, [])
      assert.equal(dry.plan.resources[0].action, 'create')
      assert.equal(existsSync(file()), false, 'a dry run changed something')

      created = await platform.resources.apply()
      assert.equal(created.dryRun, false)
      assert.deepEqual(created.results, [{ resource: REF, action: 'create', status: 'done', version: 1 }])
      assert.equal(readFileSync(file(), 'utf8'), 'hello')

      const again = await platform.resources.plan()
      assert.deepEqual(
        again.resources.map((r) => [r.resource, r.action]),
        [[REF, 'no-op']],
      )
    })

    it('drift reports a hand edit, apply repairs it', async () => {
      writeFileSync(file(), 'edited by hand')
      const drift = await platform.resources.drift([REF], { actor: 'user:default/drift-bot' })
      assert.equal(drift.resources.length, 1)
      assert.equal(drift.resources[0].status, 'drifted')
      assert.deepEqual(
        drift.resources[0].changes.map((c) => c.path),
        ['state.files.README.md'],
      )
      const checked = await platform.resources.state(REF)
      assert.equal(checked.lastDrift.status, 'drifted')
      assert.deepEqual(checked.lastDrift.changes, ['state.files.README.md'])
      assert.match(checked.lastDrift.at, /^\d{4}-\d\d-\d\dT/)
      // list() carries each resource's last check: a portal needs no state() per row.
      const listed = (await platform.resources.list()).find((r) => r.resource === checked.resource)
      assert.deepEqual(listed.lastDrift, checked.lastDrift)
      const records = await platform.audit.list({ limit: 1000 })
      const recorded = records.filter((r) => r.action === 'resource.drift')
      assert.equal(recorded.length, 1)
      assert.equal(recorded[0].actor, 'user:default/drift-bot')

      const plan = await platform.resources.plan([REF])
      assert.equal(plan.resources[0].action, 'update')
      repaired = await platform.resources.apply([REF], { actor: ADA, parallelism: 1 })
      assert.deepEqual(repaired.results, [{ resource: REF, action: 'update', status: 'done', version: 2 }])
      assert.equal(readFileSync(file(), 'utf8'), 'hello')
      const after = await platform.resources.drift()
      assert.deepEqual(
        after.resources.map((r) => [r.resource, r.status]),
        [[REF, 'in-sync']],
      )
      assert.equal((await platform.resources.state(REF)).lastDrift.status, 'in-sync')
    })

    it('state, history, outputs and list', async () => {
      const state = await platform.resources.state(REF)
      assert.equal(state.resource, REF)
      assert.equal(state.status, 'managed')
      assert.equal(state.version, 2)
      assert.equal(state.operation, 'update')
      assert.equal(state.plan, repaired.plan.id)
      assert.equal(state.actor, ADA)
      assert.deepEqual(state.outputs, { path: '/data/app-dir' })
      assert.deepEqual(state.sensitive, [])
      assert.deepEqual(state.params, { files: { 'README.md': 'hello' } })
      assert.equal(state.deletionPolicy, 'delete')
      assert.equal(state.lease, undefined)

      const history = await platform.resources.history(REF)
      assert.deepEqual(
        history.map((h) => [h.version, h.operation, h.plan, h.status]),
        [
          [2, 'update', repaired.plan.id, 'managed'],
          [1, 'create', created.plan.id, 'managed'],
        ],
      )
      assert.ok(history.every((h) => h.lastDrift === undefined && h.lease === undefined))
      assert.deepEqual(
        (await platform.resources.history(REF, { limit: 1 })).map((h) => h.version),
        [2],
      )
      const bad = await rejectsWith(assert, platform.resources.history(REF, { limit: -1 }), 'VALIDATION')
      assert.equal(bad.details.diagnostics[0].path, 'limit')

      assert.deepEqual(await platform.resources.outputs(REF), { path: '/data/app-dir' })
      assert.deepEqual(await platform.resources.outputs(REF, { reveal: true, actor: ADA }), { path: '/data/app-dir' })

      const [summary, ...rest] = await platform.resources.list()
      assert.deepEqual(rest, [])
      const { updatedAt, lastDrift, ...fields } = summary
      // The last drift check (the repair's in-sync one) is the state's.
      assert.deepEqual(lastDrift, state.lastDrift)
      assert.equal(lastDrift.status, 'in-sync')
      assert.deepEqual(fields, {
        resource: REF,
        resourceType: 'local.directory',
        owner: 'group:default/team-a',
        status: 'managed',
        version: 2,
        declared: true,
        managed: true,
      })
      assert.equal(updatedAt, state.at)

      const missing = await rejectsWith(assert, platform.resources.state('resource:default/nothing-here'), 'NOT_FOUND')
      assert.equal(missing.details.id, 'resource:default/nothing-here')
      const notResource = await rejectsWith(assert, platform.resources.state('component:default/app-dir'), 'VALIDATION')
      assert.equal(notResource.details.diagnostics[0].path, 'ref')
    })

    it('a holder that crashed keeps the lease: LOCKED until unlocked', async () => {
      await platform.catalog.upsert(resource('app-dir', { files: { 'README.md': 'hello again' } }))
      // Another process takes the lease to apply the change and dies
      // (PAVED_CRASH_AT: SIGKILL right after taking the lease).
      await assert.rejects(
        inAnotherProcess(
          { url: store.url, config },
          `process.env.PAVED_CRASH_AT = 'after-lease'
const p = await paved.open({ store: store.url, config: store.config, actor: 'user:default/crashed' })
await p.resources.apply()`,
        ),
        /child exited/,
      )
      const locked = await rejectsWith(assert, platform.resources.apply([REF]), 'LOCKED')
      assert.equal(locked.details.resource, REF)
      assert.match(locked.details.holder, /^user:default\/crashed \(pid \d+ on .+\)$/)
      assert.equal(locked.details.operation, 'apply')
      assert.ok(Date.parse(locked.details.expiresAt) > Date.now() - 1000, locked.details.expiresAt)
      assert.match(locked.message, /resources? unlock/)
      assert.equal(readFileSync(file(), 'utf8'), 'hello', 'a refused apply changed the file')

      const [listed] = await platform.resources.list()
      assert.equal(listed.lease.holder, locked.details.holder)
      assert.equal((await platform.resources.state(REF)).lease.holder, locked.details.holder)

      const would = await platform.resources.unlock(REF, { dryRun: true })
      assert.equal(would.holder, locked.details.holder)
      assert.equal(would.expiresAt, locked.details.expiresAt)
      assert.ok((await platform.resources.state(REF)).lease, 'a dry run released the lease')

      const released = await platform.resources.unlock(REF, { actor: 'user:default/operator' })
      assert.equal(released.holder, locked.details.holder)
      assert.equal((await platform.resources.state(REF)).lease, undefined)
      const records = await platform.audit.list({ limit: 1000 })
      const unlock = records.filter((r) => r.action === 'resource.unlock')
      assert.equal(unlock.length, 1)
      assert.equal(unlock[0].actor, 'user:default/operator')
      assert.equal(await platform.resources.unlock(REF), null, 'nothing left to release')

      const applied = await platform.resources.apply([REF])
      assert.deepEqual(
        applied.results.map((r) => [r.action, r.status, r.version]),
        [['update', 'done', 3]],
      )
      assert.equal(readFileSync(file(), 'utf8'), 'hello again')
    })

    it('imports an existing directory as observed', async () => {
      mkdirSync(path.join(data, 'found-dir'))
      writeFileSync(path.join(data, 'found-dir', 'notes.txt'), 'found')
      const ref = 'resource:default/found-dir'
      await platform.catalog.upsert(resource('found-dir'))
      const report = await platform.resources.import(ref, 'found-dir', { actor: 'user:default/importer' })
      assert.deepEqual(report.params, { files: { 'notes.txt': 'found' } })
      assert.equal(report.state.status, 'observed')
      assert.equal(report.state.operation, 'import')
      assert.equal(report.state.actor, 'user:default/importer')
      const summary = (await platform.resources.list()).find((s) => s.resource === ref)
      assert.equal(summary.status, 'observed')
      assert.equal(summary.managed, false)
    })

    it('destroys: a dry run plans the delete, the real one removes the directory', async () => {
      const dry = await platform.resources.destroy([REF], { dryRun: true })
      assert.equal(dry.dryRun, true)
      assert.deepEqual(
        dry.plan.resources.map((r) => [r.resource, r.action]),
        [[REF, 'delete']],
      )
      assert.ok(existsSync(file()), 'a dry run deleted')
      const gone = await platform.resources.destroy([REF], { actor: ADA })
      assert.deepEqual(
        gone.results.map((r) => [r.resource, r.action, r.status]),
        [[REF, 'delete', 'done']],
      )
      assert.equal(existsSync(path.join(data, 'app-dir')), false)
      assert.equal((await platform.resources.state(REF)).status, 'destroyed')
      assert.equal((await platform.resources.history(REF))[0].operation, 'delete')
    })

    it('refuses bad params and bad options, naming the field', async () => {
      const bad = 'resource:default/bad-dir'
      await platform.catalog.upsert(resource('bad-dir', { files: 3 }))
      // One call at a time: a promise made before its turn would reject unhandled.
      for (const call of [() => platform.resources.plan([bad]), () => platform.resources.apply([bad])]) {
        const err = await rejectsWith(assert, call(), 'VALIDATION')
        const paths = err.details.diagnostics.map((d) => d.path)
        assert.ok(paths.includes('spec.params.files'), paths.join())
        assert.equal(err.details.diagnostics.find((d) => d.path === 'spec.params.files').entity, bad)
      }
      assert.equal(existsSync(path.join(data, 'bad-dir')), false)
      await rejectsWith(assert, platform.resources.state(bad), 'NOT_FOUND')
      await platform.catalog.delete(bad)

      for (const parallelism of [-1, 1.5]) {
        const err = await rejectsWith(assert, platform.resources.apply([REF], { parallelism }), 'VALIDATION')
        assert.equal(err.details.diagnostics[0].path, 'parallelism')
      }
    })
  })
}

describe('a sensitive output in a dependent\'s params', () => {
  it('is masked in the plan, written for real, and revealed only on purpose', async () => {
    const store = STORES[0].create()
    const data = scratchDir('paved-node-mask-')
    const config = path.join(data, 'paved.yaml')
    const name = `paved_node_mask_${process.pid}`
    writeFileSync(
      config,
      JSON.stringify({
        pluginCache: 'cache',
        plugins: [
          { name: 'local_directory', path: pluginWasm('local-directory'), kind: 'provider', grants: { dirs: [{ host: data, guest: '/data', mode: 'rw' }] } },
          { name: 'postgres', path: pluginWasm('postgres'), kind: 'provider', grants: { network: ['127.0.0.1:5432'] } },
        ],
      }),
    )
    try {
      const platform = await paved.open({ store: store.url, config, actor: ADA })
      const db = { ...resource(name, {}), spec: { type: 'postgres.database', owner: 'team-a', params: {} } }
      await platform.catalog.upsert(db)
      await platform.catalog.upsert(
        resource('app-dir', { files: { 'db.txt': `\${{ resources.${name}.outputs.url }}` } }, { dependsOn: [`resource:${name}`] }),
      )
      await platform.resources.apply([`resource:default/${name}`])
      const { password } = await platform.resources.outputs(name, { reveal: true, actor: ADA })
      assert.equal(password.length, 32)
      const plan = await platform.resources.plan()
      const planned = plan.resources.find((r) => r.resource === REF)
      assert.equal(planned.action, 'create')
      assert.deepEqual(planned.diff.map((d) => [d.path, d.after]), [['files.db.txt', '(sensitive)']])
      assert.ok(!JSON.stringify(plan).includes(password), 'the plan shows the password')
      await platform.resources.apply()
      assert.ok(readFileSync(path.join(data, 'app-dir', 'db.txt'), 'utf8').includes(password))
      assert.equal((await platform.resources.outputs(name)).password, '(sensitive)')
      await platform.resources.destroy()
      assert.equal(psql(`SELECT count(*) FROM pg_database WHERE datname = '${name}'`), '0')
    } finally {
      psql(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      psql(`DROP ROLE IF EXISTS ${name}`)
      store.drop()
      rmSync(data, { recursive: true, force: true })
    }
  })
})
