// paved for Node: the native addon (native.js, generated) plus the two things
// N-API does not give: the PavedError class native errors are instances of,
// and async iteration over subscriptions, queryAll() streams and golden-path
// runs (which are thenables too). Every method, its docs and its types come
// from the Rust source (index.d.ts is generated).
'use strict'

const native = require('./native.js')

/**
 * Every failure of the engine: `code` (one of `paved::ERROR_CODES`) says what
 * kind, `details` what exactly; the message carries the cause chain. Thrown by
 * the native module (src/error.rs), which constructs it.
 */
class PavedError extends Error {
  constructor(message, code, details) {
    super(message)
    this.code = code
    this.details = details
  }
}
Object.defineProperty(PavedError.prototype, 'name', { value: 'PavedError' })
native._setErrorClass(PavedError)

/** `for await` over a native stream whose `recv()` resolves with `null` at the end. */
function iterate() {
  const stream = this
  return {
    next: async () => {
      const value = await stream.recv()
      return value === null || value === undefined ? { value: undefined, done: true } : { value, done: false }
    },
    // Leaving a loop over a subscription closes it.
    return: async () => {
      if (typeof stream.close === 'function') stream.close()
      return { value: undefined, done: true }
    },
    [Symbol.asyncIterator]() {
      return this
    },
  }
}
native.Subscription.prototype[Symbol.asyncIterator] = iterate
native.QueryStream.prototype[Symbol.asyncIterator] = iterate
native.RefreshStream.prototype[Symbol.asyncIterator] = iterate
// A golden-path run: `for await` over its progress; `await` it (or `then`,
// `catch`, `finally`, as a promise) for its record.
native.PathRun.prototype[Symbol.asyncIterator] = iterate
native.PathRun.prototype.then = function then(onFulfilled, onRejected) {
  return this.record().then(onFulfilled, onRejected)
}
native.PathRun.prototype.catch = function (onRejected) {
  return this.record().catch(onRejected)
}
native.PathRun.prototype.finally = function (onFinally) {
  return this.record().finally(onFinally)
}

// Explicit `exports.X =` assignments, so that ESM `import { open } from 'paved'`
// sees every name (Node's CommonJS export detection reads them statically).
exports.open = native.open
exports.validate = native.validate
exports.inspectPlugin = native.inspectPlugin
exports.checkPlugin = native.checkPlugin
exports.surface = native.surface
exports.Platform = native.Platform
exports.Catalog = native.Catalog
exports.QueryStream = native.QueryStream
exports.RefreshStream = native.RefreshStream
exports.Audit = native.Audit
exports.Plugins = native.Plugins
exports.Policies = native.Policies
exports.Scorecards = native.Scorecards
exports.Approvals = native.Approvals
exports.Resources = native.Resources
exports.Paths = native.Paths
exports.PathRun = native.PathRun
exports.Subscription = native.Subscription
exports.PavedError = PavedError
