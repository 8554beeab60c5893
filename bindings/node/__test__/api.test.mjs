// The shape of the package: what it exports, PavedError as thrown by the
// native module (a real Error with code, details and the cause chain),
// arguments N-API cannot convert, counts that are not counts, and handles
// that cannot be constructed from JS.

import assert from 'node:assert/strict'
import { before, describe, it } from 'node:test'

import { paved, rejectsWith } from './helpers.mjs'

const CLASSES = ['Platform', 'Catalog', 'QueryStream', 'Audit', 'Plugins', 'Subscription']
const FUNCTIONS = ['open', 'validate', 'inspectPlugin', 'checkPlugin', 'surface']

describe('package surface', () => {
  it('exports the classes, the functions and PavedError, as ESM named exports too', async () => {
    const esm = await import('../index.js')
    for (const name of [...CLASSES, ...FUNCTIONS, 'PavedError']) {
      assert.equal(typeof paved[name], 'function', `require: ${name}`)
      assert.equal(typeof esm[name], 'function', `import: ${name}`)
    }
  })

  it('has no string protocol and no standalone plugin host', () => {
    for (const gone of ['openPluginHost', 'PluginHost', 'Guardrail', 'Provider', 'ErrorCodes']) {
      assert.equal(paved[gone], undefined, gone)
    }
  })

  it('cannot construct handles from JS', () => {
    for (const name of CLASSES) assert.throws(() => new paved[name](), /constructor/, name)
  })
})

describe('errors', () => {
  let platform
  before(async () => {
    platform = await paved.open({ store: 'sqlite::memory:' })
  })

  it('an engine error is a PavedError thrown by Rust: an Error with code, details as an object, a stack', async () => {
    const err = await rejectsWith(assert, platform.catalog.get('component:default/nope'), 'NOT_FOUND')
    assert.ok(err instanceof Error)
    assert.deepEqual(err.details, { what: 'entity', id: 'component:default/nope' })
    assert.equal(err.message, "entity 'component:default/nope' not found")
    assert.match(String(err), /^PavedError: entity/)
    assert.equal(typeof err.stack, 'string')
  })

  it('the message carries the cause chain', async () => {
    const err = await rejectsWith(assert, paved.open({ store: 'postgres://postgres@127.0.0.1:1/none' }), 'STORE')
    assert.match(err.message, /^store error: .+: .+/)
  })

  it('a value N-API cannot convert is rejected before the engine sees it', () => {
    assert.throws(() => platform.catalog.get(42), (e) => !(e instanceof paved.PavedError) && /string/i.test(e.message))
    assert.throws(() => platform.catalog.import('not-a-list'), (e) => !(e instanceof paved.PavedError))
  })

  it('a negative, fractional or huge count is VALIDATION naming the option, never clamped', async () => {
    for (const [call, option] of [
      [() => platform.audit.list({ after: -1 }), 'after'],
      [() => platform.audit.list({ limit: -1 }), 'limit'],
      [() => platform.audit.list({ limit: 1.5 }), 'limit'],
      [() => platform.audit.forEntity('component:default/x', { limit: -5 }), 'limit'],
      [() => platform.catalog.query({ limit: 2 ** 60 }), 'limit'],
      [() => platform.catalog.search('x', { limit: -1 }), 'limit'],
      [() => platform.catalog.graph('component:default/x', { depth: -1 }), 'depth'],
    ]) {
      const err = await rejectsWith(assert, call(), 'VALIDATION')
      assert.equal(err.details.diagnostics[0].path, option, err.message)
    }
  })
})
