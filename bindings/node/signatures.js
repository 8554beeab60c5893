// The signature of every native function and method of the `paved` addon:
// argument names and types, checked by index.js before each call (see
// `checkValue` there for the type names). __test__/api.test.mjs fails when a
// native method is missing here, so a new method cannot skip its checks.
'use strict'

const WRITE = { etag: 'string?', actor: 'string?', dryRun: 'boolean?' }
const FILTER = { filter: 'string|string[]?', predicate: 'object?' }

const LOAD = { name: 'string?', settings: 'object?', grants: 'object?', limits: 'object?' }

const SIGNATURES = {
  functions: {
    open: [['options', { store: 'string?', config: 'string?' }]],
    openPluginHost: [['options', { cacheDir: 'string?', prepareGuardrails: 'boolean?' }]],
  },
  Platform: {
    subscribe: [],
  },
  Catalog: {
    validate: [['paths', 'string[]']],
    validateText: [['text', 'string'], ['name', 'string?']],
    validateValues: [['values', 'object[]']],
    import: [['paths', 'string[]'], ['options', { actor: 'string?', dryRun: 'boolean?' }]],
    upsert: [['entity', 'object'], ['options', WRITE]],
    delete: [['entityRef', 'string'], ['options', WRITE]],
    get: [['entityRef', 'string']],
    query: [
      [
        'options',
        {
          ...FILTER,
          text: 'string?',
          fields: 'string[]?',
          order: 'string[]?',
          limit: 'uint?',
          cursor: 'string?',
        },
      ],
    ],
    search: [['text', 'string'], ['options', { limit: 'uint?' }]],
    facets: [['field', 'string'], ['options', FILTER]],
    graph: [['entityRef', 'string'], ['options', { traversal: 'string?', depth: 'uint?' }]],
  },
  Audit: {
    list: [['options', { after: 'int?', limit: 'uint?' }]],
    forEntity: [['entityRef', 'string'], ['options', { limit: 'uint?' }]],
    verify: [],
  },
  Subscription: {
    recv: [],
    close: [],
  },
  PluginHost: {
    loadGuardrail: [['path', 'string'], ['options', LOAD]],
    loadProvider: [['path', 'string'], ['options', LOAD]],
    inspect: [['path', 'string']],
  },
  Guardrail: {
    validateSettings: [['settings', 'object']],
    review: [['change', 'object'], ['options', { settings: 'object?' }]],
  },
  Provider: {
    validateSettings: [['settings', 'object']],
    plan: [['request', 'object']],
  },
}

module.exports = { SIGNATURES }
