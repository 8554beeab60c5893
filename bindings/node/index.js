// paved for Node: the thin JS layer over the native addon (native.js, built by
// `napi build`). It adds what N-API alone cannot give idiomatically:
//
//   - argument checks: a wrong type throws a TypeError naming the argument
//     (`catalog.get(): entityRef must be a string, got number`);
//   - errors: native failures become PavedError instances with a stable `code`
//     and structured `details` (src/error.rs serializes them behind a marker);
//   - events: a Subscription is an async iterator (`for await (const e of sub)`).
//
// Everything else (every method, its docs and types) comes from the Rust
// source; index.d.ts is generated from it.
'use strict'

const native = require('./native.js')

const MARKER = 'PAVED_ERROR:'

/** The stable error codes. */
const ErrorCodes = Object.freeze({
  VALIDATION: 'VALIDATION',
  NOT_FOUND: 'NOT_FOUND',
  CONFLICT: 'CONFLICT',
  STORE: 'STORE',
  IO: 'IO',
  PLUGIN: 'PLUGIN',
})

/** Every failure of the engine: `code` says what kind, `details` what exactly. */
class PavedError extends Error {
  constructor(code, message, details) {
    super(message)
    Object.defineProperty(this, 'name', { value: 'PavedError', enumerable: false })
    this.code = code
    this.details = details || {}
  }
}

/** A native error as a PavedError when it carries one; other errors unchanged. */
function convertError(err) {
  if (err instanceof Error && typeof err.message === 'string' && err.message.startsWith(MARKER)) {
    let payload
    try {
      payload = JSON.parse(err.message.slice(MARKER.length))
    } catch {
      return err
    }
    const e = new PavedError(payload.code, payload.message, payload.details)
    if (err.stack) e.stack = `${e.name}: ${e.message}\n${err.stack.split('\n').slice(1).join('\n')}`
    return e
  }
  return err
}

/**
 * N-API's own conversion failures (a value deep inside an argument that does
 * not convert, e.g. a BigInt in an entity) as a TypeError saying where.
 */
function argumentError(where, err) {
  if (err instanceof Error && !(err instanceof PavedError) && typeof err.code === 'string' && /^(InvalidArg|\w+Expected)$/.test(err.code)) {
    const e = new TypeError(`${where}: ${err.message}`)
    e.cause = err
    return e
  }
  return err
}

// ---- argument checks ------------------------------------------------------
//
// A type is one of the names in CHECKS, optionally suffixed with `?`
// (undefined and null allowed), or an object mapping field names to types (an
// options object, optional unless its signature entry says 'required'; unknown
// field names are rejected so typos do not pass silently).

const CHECKS = {
  string: (v) => typeof v === 'string',
  boolean: (v) => typeof v === 'boolean',
  uint: (v) => Number.isInteger(v) && v >= 0 && v <= 0xffffffff,
  int: (v) => Number.isSafeInteger(v),
  object: (v) => v !== null && typeof v === 'object' && !Array.isArray(v),
  'string[]': (v) => Array.isArray(v) && v.every((x) => typeof x === 'string'),
  'object[]': (v) => Array.isArray(v) && v.every((x) => x !== null && typeof x === 'object' && !Array.isArray(x)),
  'string|string[]': (v) => typeof v === 'string' || (Array.isArray(v) && v.every((x) => typeof x === 'string')),
}

const EXPECTED = {
  string: 'a string',
  boolean: 'a boolean',
  uint: 'a non-negative integer',
  int: 'an integer',
  object: 'an object',
  'string[]': 'an array of strings',
  'object[]': 'an array of objects',
  'string|string[]': 'a string or an array of strings',
}

function describe(v) {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'an array'
  return typeof v
}

function checkValue(where, name, type, value, required = false) {
  if (typeof type === 'string') {
    const optional = type.endsWith('?')
    const base = optional ? type.slice(0, -1) : type
    if (value === undefined || value === null) {
      if (optional) return
      throw new TypeError(`${where}: ${name} is required (${EXPECTED[base]})`)
    }
    if (!CHECKS[base](value)) {
      throw new TypeError(`${where}: ${name} must be ${EXPECTED[base]}, got ${describe(value)}`)
    }
    return
  }
  // An object of named fields: optional as a whole unless `required`, each field checked.
  if (value === undefined || value === null) {
    if (required) throw new TypeError(`${where}: ${name} is required (an object)`)
    return
  }
  if (!CHECKS.object(value)) {
    throw new TypeError(`${where}: ${name} must be an object, got ${describe(value)}`)
  }
  for (const key of Object.keys(value)) {
    if (!(key in type)) {
      throw new TypeError(`${where}: unknown option ${name}.${key} (expected one of: ${Object.keys(type).join(', ')})`)
    }
    checkValue(where, `${name}.${key}`, type[key], value[key])
  }
}

const { SIGNATURES } = require('./signatures.js')

function checkArgs(where, signature, args) {
  if (args.length > signature.length) {
    throw new TypeError(`${where}: expected at most ${signature.length} argument(s), got ${args.length}`)
  }
  signature.forEach(([name, type, required], i) => checkValue(where, name, type, args[i], required === 'required'))
}

/** Wrap a native function: check arguments, convert errors (sync and async). */
function wrap(where, signature, fn) {
  return function (...args) {
    checkArgs(where, signature, args)
    let result
    try {
      result = fn.apply(this, args)
    } catch (err) {
      throw argumentError(where, convertError(err))
    }
    if (result && typeof result.then === 'function') {
      return result.then(undefined, (err) => {
        throw convertError(err)
      })
    }
    return result
  }
}

for (const [className, methods] of Object.entries(SIGNATURES)) {
  if (className === 'functions') continue
  const proto = native[className].prototype
  for (const [method, signature] of Object.entries(methods)) {
    proto[method] = wrap(`${className}.${method}()`, signature, proto[method])
  }
}

/** Async iteration over a subscription; leaving the loop closes it. */
native.Subscription.prototype[Symbol.asyncIterator] = function () {
  const sub = this
  return {
    async next() {
      const event = await sub.recv()
      return event === null || event === undefined ? { value: undefined, done: true } : { value: event, done: false }
    },
    async return() {
      sub.close()
      return { value: undefined, done: true }
    },
    [Symbol.asyncIterator]() {
      return this
    },
  }
}

// Explicit `exports.X =` assignments, so that ESM `import { open } from 'paved'`
// sees every name (Node's CommonJS export detection reads them statically).
exports.open = wrap('open()', SIGNATURES.functions.open, native.open)
exports.Platform = native.Platform
exports.Catalog = native.Catalog
exports.Audit = native.Audit
exports.Subscription = native.Subscription
exports.openPluginHost = wrap('openPluginHost()', SIGNATURES.functions.openPluginHost, native.openPluginHost)
exports.PluginHost = native.PluginHost
exports.Guardrail = native.Guardrail
exports.Provider = native.Provider
exports.PavedError = PavedError
exports.ErrorCodes = ErrorCodes
