// Benchmark: the portal's catalogue page (100 entities a page) with 100,000
// entities in the store — server time (the Server-Timing header) p50 and p95
// over repeated requests, for the first page, a deep page, filters, a text
// search, and an entity page.
//
//   node bench/catalog-page.mjs [--entities 100000] [--requests 50] [--store sqlite:PATH | postgres://…]
//
// Without --store it uses a SQLite file under $CARGO_TARGET_DIR/bench-portal
// and fills it once (reused when it already holds the entities).

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

import { open } from 'paved'

import { createPortal } from '../lib/app.mjs'

const HERE = path.dirname(fileURLToPath(import.meta.url))
const REPO = path.join(HERE, '..', '..', '..')
const TARGET = process.env.CARGO_TARGET_DIR || path.join(REPO, 'target')

const { values: args } = parseArgs({
  options: {
    entities: { type: 'string', default: '100000' },
    requests: { type: 'string', default: '50' },
    store: { type: 'string' },
  },
})
const N = Number(args.entities)
const REQUESTS = Number(args.requests)
const GROUPS = 200
const TYPES = ['service', 'website', 'library', 'worker']
const LIFECYCLES = ['production', 'experimental', 'deprecated']
const TAGS = ['java', 'go', 'python', 'rust', 'kafka', 'postgres', 'grpc', 'rest', 'pci', 'ml']
const pad = (n, w) => String(n).padStart(w, '0')

function yamlOf(entities) {
  return entities.map((e) => JSON.stringify(e)).join('\n---\n')
}

/** Write N components owned by GROUPS teams, and the teams, as YAML files. */
function writeCatalog(dir) {
  const groups = []
  for (let g = 0; g < GROUPS; g++) {
    groups.push({ apiVersion: 'backstage.io/v1alpha1', kind: 'Group', metadata: { name: `team-${pad(g, 3)}` }, spec: { type: 'team', children: [] } })
  }
  writeFileSync(path.join(dir, 'groups.yaml'), yamlOf(groups))
  for (let start = 0; start < N; start += 1000) {
    const chunk = []
    for (let i = start; i < Math.min(N, start + 1000); i++) {
      chunk.push({
        apiVersion: 'backstage.io/v1alpha1',
        kind: 'Component',
        metadata: {
          name: `svc-${pad(i, 6)}`,
          title: `Service ${i}`,
          description: `Generated component number ${i}, for the portal benchmark.`,
          tags: [TAGS[i % TAGS.length], TAGS[(i * 7) % TAGS.length]].filter((t, k, a) => a.indexOf(t) === k),
        },
        spec: {
          type: TYPES[i % TYPES.length],
          lifecycle: LIFECYCLES[i % LIFECYCLES.length],
          owner: `team-${pad(i % GROUPS, 3)}`,
          ...(i > 0 ? { dependsOn: [`component:svc-${pad(i - 1, 6)}`] } : {}),
        },
      })
    }
    writeFileSync(path.join(dir, `components-${pad(start / 1000, 3)}.yaml`), yamlOf(chunk))
  }
}

async function fill(platform) {
  const { total } = await platform.catalog.query({ limit: 1, fields: ['kind'] })
  if (total >= N + GROUPS) return console.error(`store already holds ${total} entities`)
  const dir = mkdtempSync(path.join(os.tmpdir(), 'paved-bench-catalog-'))
  try {
    writeCatalog(dir)
    const t0 = process.hrtime.bigint()
    const set = await platform.catalog.import([dir], { actor: 'component:default/bench' })
    const s = Number(process.hrtime.bigint() - t0) / 1e9
    console.error(`imported ${set.changes.length} entities in ${s.toFixed(1)} s (${Math.round(set.changes.length / s)} entities/s)`)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length - 1) * p))]
}

async function measure(base, urlPath) {
  const server = []
  const client = []
  let bytes = 0
  for (let i = 0; i < REQUESTS + 3; i++) {
    const t0 = process.hrtime.bigint()
    const res = await fetch(base + urlPath)
    const body = await res.text()
    const total = Number(process.hrtime.bigint() - t0) / 1e6
    if (res.status !== 200) throw new Error(`${urlPath}: HTTP ${res.status}\n${body.slice(0, 500)}`)
    const m = /app;dur=([\d.]+)/.exec(res.headers.get('server-timing') || '')
    if (i < 3) continue // warm-up
    server.push(Number(m[1]))
    client.push(total)
    bytes = body.length
  }
  server.sort((a, b) => a - b)
  client.sort((a, b) => a - b)
  return { path: urlPath, server_p50_ms: percentile(server, 0.5), server_p95_ms: percentile(server, 0.95), client_p50_ms: +percentile(client, 0.5).toFixed(2), html_kb: Math.round(bytes / 1024) }
}

const storeUrl = args.store || `sqlite:${path.join(TARGET, 'bench-portal', `catalog-${N}.db`)}`
if (!args.store) mkdirSync(path.join(TARGET, 'bench-portal'), { recursive: true })
const platform = await open({ store: storeUrl })
await fill(platform)
const portal = createPortal(platform, { pollMs: 0 })
const { host, port } = await portal.start(0)
const base = `http://${host}:${port}`

// a cursor deep into the catalogue: follow "next" 50 pages
let cursor
for (let i = 0; i < 50; i++) cursor = (await platform.catalog.query({ limit: 100, order: ['metadata.name'], fields: ['kind'], cursor })).nextCursor

const results = []
for (const p of [
  '/?limit=100',
  `/?limit=100&cursor=${encodeURIComponent(cursor)}&page=51`,
  '/?limit=100&kind=component&owner=group%3Adefault%2Fteam-042',
  '/?limit=100&type=library&lifecycle=deprecated&tag=kafka',
  '/?limit=100&q=service+4242',
  `/catalog/default/component/svc-${pad(Math.floor(N * 0.4242), 6)}`,
  '/catalog/default/group/team-042',
]) {
  results.push(await measure(base, p))
}
await portal.close()
console.log(JSON.stringify({ store: platform.storeDescription, entities: N + GROUPS, requests: REQUESTS, results }, null, 2))
