// The shape of the package: every native method has an argument signature,
// every argument of every method rejects a wrong type with a TypeError that
// names it, PavedError and ErrorCodes are what the docs say, and handles
// cannot be constructed from JS.

import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { after, before, describe, it } from 'node:test'

import { component, paved, pluginWasm } from './helpers.mjs'

const require = createRequire(import.meta.url)
const native = require('../native.js')
const { SIGNATURES } = require('../signatures.js')

const CLASSES = ['Platform', 'Catalog', 'Audit', 'Subscription', 'PluginHost', 'Guardrail', 'Provider']

function ownMethods(cls) {
  return Object.getOwnPropertyNames(cls.prototype).filter((name) => {
    if (name === 'constructor') return false
    const d = Object.getOwnPropertyDescriptor(cls.prototype, name)
    return typeof d.value === 'function'
  })
}

describe('package surface', () => {
  it('exports the classes, open(), PavedError and ErrorCodes', () => {
    for (const name of CLASSES) assert.equal(typeof paved[name], 'function', name)
    assert.equal(typeof paved.open, 'function')
    assert.equal(typeof paved.PavedError, 'function')
    assert.deepEqual(Object.keys(paved.ErrorCodes).sort(), ['CONFLICT', 'IO', 'NOT_FOUND', 'PLUGIN', 'STORE', 'VALIDATION'])
    for (const [k, v] of Object.entries(paved.ErrorCodes)) assert.equal(k, v)
    assert.ok(Object.isFrozen(paved.ErrorCodes))
  })

  it('has a signature for every native method and function, and no stale ones', () => {
    for (const name of CLASSES) {
      const methods = ownMethods(native[name]).sort()
      assert.deepEqual(Object.keys(SIGNATURES[name] || {}).sort(), methods, `signatures of ${name}`)
    }
    const functions = Object.keys(native).filter((k) => typeof native[k] === 'function' && !CLASSES.includes(k))
    assert.deepEqual(Object.keys(SIGNATURES.functions).sort(), functions.sort())
  })

  it('exports every native class and function, as ESM named exports too', async () => {
    const esm = await import('../index.js')
    for (const name of Object.keys(native).filter((n) => typeof native[n] === 'function')) {
      assert.equal(typeof paved[name], 'function', `require: ${name}`)
      assert.equal(typeof esm[name], 'function', `import: ${name}`)
    }
    for (const name of ['open', 'openPluginHost', 'PavedError', 'ErrorCodes']) assert.ok(esm[name], `import: ${name}`)
  })

  it('cannot construct handles from JS', () => {
    for (const name of CLASSES) assert.throws(() => new paved[name](), /constructor/, name)
  })

  it('PavedError is an Error with name, code and details', () => {
    const e = new paved.PavedError('CONFLICT', 'conflict on x', { expected: 'a', found: 'b' })
    assert.ok(e instanceof Error)
    assert.equal(e.name, 'PavedError')
    assert.equal(e.code, 'CONFLICT')
    assert.deepEqual(e.details, { expected: 'a', found: 'b' })
    assert.match(String(e), /^PavedError: conflict on x/)
  })
})

describe('argument checks', () => {
  let platform
  const handles = {}
  before(async () => {
    platform = await paved.open({ store: 'sqlite::memory:' })
    handles.Platform = platform
    handles.Catalog = platform.catalog
    handles.Audit = platform.audit
    handles.Subscription = platform.subscribe()
    handles.PluginHost = await paved.openPluginHost()
    handles.Guardrail = await handles.PluginHost.loadGuardrail(pluginWasm('naming-convention'), { settings: { patterns: {} } })
    handles.Provider = await handles.PluginHost.loadProvider(pluginWasm('local-directory'))
  })
  after(() => handles.Subscription.close())

  // A valid value for each type name, and one of the wrong type.
  const VALID = {
    string: 'component:default/x',
    boolean: true,
    uint: 1,
    int: 1,
    object: component('x'),
    'string[]': ['a'],
    'object[]': [component('x')],
    'string|string[]': 'kind=component',
  }
  const WRONG = {
    string: 42,
    boolean: 'yes',
    uint: -1,
    int: 1.5,
    object: 'not an object',
    'string[]': [1, 2],
    'object[]': ['x'],
    'string|string[]': 7,
  }
  const base = (t) => (typeof t === 'string' ? t.replace(/\?$/, '') : 'options')
  // The required fields of an object type, with valid values.
  const validShape = (shape) =>
    Object.fromEntries(Object.entries(shape).filter(([, t]) => typeof t === 'string' && !t.endsWith('?')).map(([k, t]) => [k, VALID[t]]))
  const validArgs = (sig) =>
    sig.map(([, t, required]) =>
      typeof t === 'string' ? (t.endsWith('?') ? undefined : VALID[t]) : required === 'required' ? validShape(t) : undefined,
    )

  function call(cls, method, args) {
    if (cls === 'functions') return paved[method](...args)
    return handles[cls][method](...args)
  }

  it('a value that cannot cross to Rust, deep in an argument, is a TypeError saying where', async () => {
    const entity = component('x', {}, { annotations: { bad: Symbol('no') } })
    assert.throws(
      () => handles.Catalog.upsert(entity),
      (e) => e instanceof TypeError && e.message.startsWith('Catalog.upsert():') && /symbol/i.test(e.message),
    )
  })

  for (const [cls, methods] of Object.entries(SIGNATURES)) {
    for (const [method, sig] of Object.entries(methods)) {
      const where = cls === 'functions' ? `${method}()` : `${cls}.${method}()`
      it(`${where} names each argument of the wrong type`, () => {
        sig.forEach(([name, type, required], i) => {
          const args = validArgs(sig)
          if (typeof type === 'string') {
            args[i] = WRONG[base(type)]
            assert.throws(
              () => call(cls, method, args),
              (e) => e instanceof TypeError && e.message.includes(where) && e.message.includes(`${name} must be`),
              `${where} ${name}`,
            )
            if (!type.endsWith('?')) {
              args[i] = undefined
              assert.throws(() => call(cls, method, args), (e) => e instanceof TypeError && e.message.includes(`${name} is required`))
            }
          } else {
            args[i] = 5
            assert.throws(() => call(cls, method, args), (e) => e instanceof TypeError && e.message.includes(`${name} must be an object`))
            args[i] = { ...validShape(type), noSuchOption: 1 }
            assert.throws(() => call(cls, method, args), (e) => e instanceof TypeError && e.message.includes(`unknown option ${name}.noSuchOption`))
            for (const [field, ftype] of Object.entries(type)) {
              args[i] = { ...validShape(type), [field]: typeof ftype === 'string' ? WRONG[base(ftype)] : 5 }
              assert.throws(
                () => call(cls, method, args),
                (e) => e instanceof TypeError && e.message.includes(`${name}.${field} must be`),
                `${where} ${name}.${field}`,
              )
            }
            if (required === 'required') {
              args[i] = undefined
              assert.throws(() => call(cls, method, args), (e) => e instanceof TypeError && e.message.includes(`${name} is required`))
            }
          }
        })
        const tooMany = [...validArgs(sig), undefined, 'extra']
        assert.throws(() => call(cls, method, tooMany), (e) => e instanceof TypeError && /at most/.test(e.message))
      })
    }
  }
})
