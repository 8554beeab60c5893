// Shared test fixtures: the package, the stores every suite runs on (a SQLite
// file and a PostgreSQL database of its own at 127.0.0.1:5432, dropped after),
// the example catalogue, and a way to run code in another process.

import { execFileSync, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const require = createRequire(import.meta.url)
const HERE = path.dirname(fileURLToPath(import.meta.url))

/** The package under test, as `require('paved')` gives it. */
export const paved = require('..')

export const PACKAGE_DIR = path.join(HERE, '..')
export const REPO = path.join(HERE, '..', '..', '..')
export const EXAMPLE_CATALOG = path.join(REPO, 'examples', 'catalog')

const TARGET = process.env.CARGO_TARGET_DIR ? path.resolve(REPO, process.env.CARGO_TARGET_DIR) : path.join(REPO, 'target')

/** The built example plugin `name` (e.g. `require-owner`); test.sh builds examples/plugins. */
export function pluginWasm(name) {
  const file = path.join(TARGET, 'wasm32-wasip2', 'release', `${name.replace(/-/g, '_')}.wasm`)
  if (!existsSync(file)) throw new Error(`${file} is not built: run bindings/node/test.sh (it builds examples/plugins)`)
  return file
}

const PG = process.env.PAVED_TEST_PG || 'postgres://postgres@127.0.0.1:5432'

/** Run `sql` as the admin of the test server; resolves to its output (unaligned, tuples only). */
export function psql(sql) {
  const url = new URL(PG)
  return execFileSync(
    'psql',
    ['-h', url.hostname, '-p', url.port || '5432', '-U', url.username || 'postgres', '-d', 'postgres', '-v', 'ON_ERROR_STOP=1', '-qAt', '-c', sql],
    { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' },
  ).trim()
}

const scratch = []

/**
 * A new directory under the system's temporary directory (named `prefix…`),
 * removed when this test file's process exits, whatever the tests did.
 */
export function scratchDir(prefix) {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix))
  scratch.push(dir)
  return dir
}

process.on('exit', () => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true })
})

/**
 * A fresh store of each kind. `create()` returns `{ url, drop() }`.
 * - sqlite: a file in a new temporary directory;
 * - postgres: a new database, dropped (with its connections) by `drop()`.
 */
export const STORES = [
  {
    name: 'sqlite',
    create() {
      const dir = scratchDir('paved-node-')
      return { url: `sqlite:${path.join(dir, 'paved.db')}`, dir, drop: () => rmSync(dir, { recursive: true, force: true }) }
    },
  },
  {
    name: 'postgres',
    create() {
      const db = `paved_node_${process.pid}_${Math.random().toString(36).slice(2, 10)}`
      psql(`CREATE DATABASE ${db}`)
      const url = `${PG}/${db}`
      return { url, db, drop: () => psql(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`) }
    },
  },
]

/** A minimal valid Component. */
export function component(name, spec = {}, metadata = {}) {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name, ...metadata },
    spec: { type: 'service', lifecycle: 'experimental', owner: 'team-payments', ...spec },
  }
}

/**
 * A Resource entity of the local-directory provider's type, owned by
 * team-a, asking for `params` (absent: observed only).
 */
export function resource(name, params, spec = {}) {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Resource',
    metadata: { name },
    spec: { type: 'local.directory', owner: 'team-a', ...(params === undefined ? {} : { params }), ...spec },
  }
}

/** An entity as returned by `get()`, made writable again: store-set fields dropped. */
export function editable(entity) {
  const { relations: _relations, ...rest } = entity
  const { uid: _uid, etag: _etag, ...metadata } = rest.metadata
  return { ...rest, metadata }
}

/**
 * Run `code` (an ES module body with `paved` and `store` in scope) in a new
 * Node process; resolves with its stdout. The process has nothing in common
 * with this one but the store.
 */
export function inAnotherProcess(store, code) {
  const script = `import { createRequire } from 'node:module'
const paved = createRequire(${JSON.stringify(path.join(PACKAGE_DIR, 'index.js'))})(${JSON.stringify(path.join(PACKAGE_DIR, 'index.js'))})
const store = ${JSON.stringify(store)}
${code}`
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => (err += d))
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`child exited ${code}: ${err}`))))
  })
}

/** Resolve with `promise`, or reject after `ms` saying what was awaited. */
export function within(ms, promise, what) {
  let timer
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms)
    }),
  ])
}

/** Assert that `promise` rejects with a PavedError of `code`; returns the error. */
export async function rejectsWith(assert, promise, code) {
  try {
    await promise
  } catch (err) {
    assert.ok(err instanceof paved.PavedError, `expected a PavedError, got ${err && err.constructor && err.constructor.name}: ${err && err.message}`)
    assert.equal(err.code, code, `expected code ${code}, got ${err.code}: ${err.message}`)
    assert.equal(err.name, 'PavedError')
    return err
  }
  assert.fail(`expected a ${code} error, but the call succeeded`)
}
