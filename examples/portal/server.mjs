#!/usr/bin/env node
// Starts the paved portal.
//
//   node server.mjs [--port 3000] [--host 127.0.0.1] [--store URL | --config paved.yaml]
//                   [--import PATH | --no-import] [--poll-ms 1000]
//                   [--user-header x-forwarded-user] [--refresh-every 5m] [--watch]
//
// With no --store/--config, open() resolves them as every front does
// ($PAVED_STORE, $PAVED_CONFIG, ./paved.yaml, else the SQLite file
// .paved/paved.db under the working directory). When that catalogue is empty it
// imports --import (default: the example catalogue, ../catalog) first.
// --refresh-every and --watch keep the catalogue in sync with its locations
// while the portal runs (platform.catalog.refreshes): on an interval, and
// whenever a catalogue file changes; each refresh is summed up on stdout.

import { existsSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

import { open } from 'paved'

import { createPortal } from './lib/app.mjs'

const HERE = path.dirname(fileURLToPath(import.meta.url))

const { values: args } = parseArgs({
  options: {
    port: { type: 'string', default: process.env.PORT || '3000' },
    host: { type: 'string', default: process.env.HOST || '127.0.0.1' },
    store: { type: 'string' },
    config: { type: 'string' },
    import: { type: 'string', default: path.join(HERE, '..', 'catalog') },
    'no-import': { type: 'boolean', default: false },
    'poll-ms': { type: 'string' },
    'user-header': { type: 'string' },
    'refresh-every': { type: 'string' },
    watch: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
})

if (args.help) {
  console.log(`usage: node server.mjs [--port 3000] [--host 127.0.0.1] [--store URL | --config paved.yaml]
                        [--import PATH | --no-import] [--poll-ms 1000]
                        [--user-header x-forwarded-user] [--refresh-every 5m] [--watch]`)
  process.exit(0)
}

const platform = await open({ store: args.store, config: args.config })
if (!args['no-import']) {
  const { total } = await platform.catalog.query({ limit: 1, fields: ['kind'] })
  if (total === 0 && existsSync(args.import)) {
    const set = await platform.catalog.import([args.import], { actor: 'component:default/portal' })
    console.log(`imported ${set.changes.length} entities from ${args.import}`)
    // Per entity, as Backstage: what could not be stored is said, not dropped.
    for (const d of [...(set.refused || []), ...(set.conflicts || [])]) {
      const at = d.location ? `${d.location.file}:${d.location.line}:${d.location.column}: ` : ''
      console.error(`not imported: ${at}${d.path ? `${d.path}: ` : ''}${d.message}`)
    }
  }
}

const portal = createPortal(platform, {
  ...(args['poll-ms'] === undefined ? {} : { pollMs: Number(args['poll-ms']) }),
  ...(args['user-header'] === undefined ? {} : { userHeader: args['user-header'] }),
})
const { host, port } = await portal.start(Number(args.port), args.host)
console.log(`paved portal listening on http://${host}:${port}/ (store ${platform.storeDescription})`)

let refreshes = null
if (args['refresh-every'] || args.watch) {
  refreshes = platform.catalog.refreshes({ interval: args['refresh-every'], watch: args.watch, actor: 'component:default/portal' })
  ;(async () => {
    for await (const event of refreshes) {
      if (event.event !== 'done') continue
      const written = event.locations.reduce((n, l) => n + l.created + l.updated + l.deleted, 0)
      const refused = event.locations.reduce((n, l) => n + l.refused.length, 0)
      const failed = event.locations.filter((l) => l.error)
      console.log(`refreshed ${event.locations.length} locations (${event.trigger}) in ${event.millis} ms: ${written} written, ${refused} refused`)
      for (const l of failed) console.error(`refresh of ${l.location} failed: ${l.error}`)
    }
  })().catch((err) => console.error(`refreshing stopped: ${err.message}`))
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, async () => {
    refreshes?.close()
    await portal.close()
    process.exit(0)
  })
}
