// Opening a platform: the embedded default, a SQLite path, a PostgreSQL URL,
// a config file with a custom kind — and the STORE, IO and VALIDATION errors
// of opening wrong.

import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { existsSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { describe, it } from 'node:test'

import { PACKAGE_DIR, STORES, paved, rejectsWith, scratchDir } from './helpers.mjs'

function tmp() {
  return scratchDir('paved-node-open-')
}

describe('open()', () => {
  it('with no options opens the embedded default, .paved/paved.db under the working directory', () => {
    const dir = tmp()
    const out = execFileSync(
      process.execPath,
      ['-e', `require(${JSON.stringify(PACKAGE_DIR)}).open().then((p) => console.log(p.storeDescription))`],
      { cwd: dir, encoding: 'utf8' },
    )
    assert.match(out.trim(), /^sqlite:.*\.paved\/paved\.db$/)
    assert.ok(existsSync(path.join(dir, '.paved', 'paved.db')))
  })

  it('resolves the store from $PAVED_STORE and the actor from the options, in core', () => {
    const dir = tmp()
    const out = execFileSync(
      process.execPath,
      ['-e', `require(${JSON.stringify(PACKAGE_DIR)}).open({ actor: 'user:default/ada' }).then((p) => console.log(p.storeDescription, p.actor))`],
      { cwd: dir, encoding: 'utf8', env: { ...process.env, PAVED_STORE: `sqlite:${path.join(dir, 'env.db')}` } },
    )
    assert.equal(out.trim(), `sqlite:${path.join(dir, 'env.db')} user:default/ada`)
  })

  it('an actor that is not an entity ref with a kind is VALIDATION', async () => {
    await rejectsWith(assert, paved.open({ store: 'sqlite::memory:', actor: 'portal' }), 'VALIDATION')
  })

  it('a SQLite file keeps the catalogue between opens', async () => {
    const store = STORES[0].create()
    try {
      const a = await paved.open({ store: store.url })
      await a.catalog.upsert({
        apiVersion: 'backstage.io/v1alpha1',
        kind: 'Group',
        metadata: { name: 'kept' },
        spec: { type: 'team', children: [] },
      })
      const b = await paved.open({ store: store.url })
      assert.equal((await b.catalog.get('group:default/kept')).metadata.name, 'kept')
    } finally {
      store.drop()
    }
  })

  it('a config file sets the store and registers custom kinds', async () => {
    const dir = tmp()
    writeFileSync(
      path.join(dir, 'service-level.json'),
      JSON.stringify({
        type: 'object',
        required: ['target'],
        properties: { target: { type: 'number', minimum: 0, maximum: 100 } },
      }),
    )
    writeFileSync(
      path.join(dir, 'paved.yaml'),
      `store: sqlite:${path.join(dir, 'configured.db')}
kinds:
  - kind: ServiceLevel
    apiVersions: [acme.example/v1]
    schema: service-level.json
`,
    )
    const platform = await paved.open({ config: path.join(dir, 'paved.yaml') })
    assert.match(platform.storeDescription, /configured\.db$/)
    const ok = await platform.catalog.upsert({ apiVersion: 'acme.example/v1', kind: 'ServiceLevel', metadata: { name: 'checkout-slo' }, spec: { target: 99.9 } })
    assert.equal(ok.changes[0].outcome, 'created')
    const err = await rejectsWith(
      assert,
      platform.catalog.upsert({ apiVersion: 'acme.example/v1', kind: 'ServiceLevel', metadata: { name: 'bad-slo' }, spec: { target: 'high' } }),
      'VALIDATION',
    )
    assert.ok(err.details.diagnostics.some((d) => d.path.startsWith('spec.target')), JSON.stringify(err.details))
    // `store` overrides the file's store
    const overridden = await paved.open({ config: path.join(dir, 'paved.yaml'), store: 'sqlite::memory:' })
    assert.equal(overridden.storeDescription, 'sqlite::memory:')
  })

  it('a config file with a mistake is VALIDATION with file, line and field', async () => {
    const dir = tmp()
    const file = path.join(dir, 'paved.yaml')
    writeFileSync(file, 'store: "sqlite::memory:"\nkinds:\n  - kind: X\n    apiVersion: [a/v1]\n    schema: {}\n')
    const err = await rejectsWith(assert, paved.open({ config: file }), 'VALIDATION')
    const [d] = err.details.diagnostics
    assert.equal(d.location.file, file)
    assert.ok(d.location.line >= 3, JSON.stringify(d))
    assert.match(d.path, /kinds\[0\]/)
    assert.match(err.message, /apiVersion/)
  })

  it('a missing config file is IO with its path', async () => {
    const missing = path.join(tmp(), 'nope.yaml')
    const err = await rejectsWith(assert, paved.open({ config: missing }), 'IO')
    assert.deepEqual(err.details, { path: missing })
  })

  it('a store URL that is not one is VALIDATION', async () => {
    const err = await rejectsWith(assert, paved.open({ store: 'mysql://localhost/x' }), 'VALIDATION')
    assert.equal(err.details.diagnostics[0].path, 'store')
    assert.match(err.message, /expected sqlite:PATH/)
  })

  it('a PostgreSQL server that cannot be reached is STORE, with the cause', async () => {
    const err = await rejectsWith(assert, paved.open({ store: 'postgres://postgres@127.0.0.1:1/none' }), 'STORE')
    assert.deepEqual(err.details, {})
    assert.match(err.message, /127\.0\.0\.1|connect|refused/i)
  })

  it('a PostgreSQL URL opens that database', async () => {
    const store = STORES[1].create()
    try {
      const platform = await paved.open({ store: store.url })
      assert.match(platform.storeDescription, new RegExp(store.db))
      assert.equal((await platform.catalog.query()).total, 0)
    } finally {
      store.drop()
    }
  })
})
