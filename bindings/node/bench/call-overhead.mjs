// The Node side of the call-overhead benchmark (bench.sh): the same trivial
// calls as examples/call_overhead.rs, made through the `paved` package.
// Prints one JSON line: nanoseconds per call for each call.
//
//   node bench/call-overhead.mjs [iterations]

import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const require = createRequire(import.meta.url)
const { open } = require('..')

const HERE = path.dirname(fileURLToPath(import.meta.url))
const REF = 'component:default/checkout-service'
const iterations = Number(process.argv[2] || 20000)

const platform = await open({ store: 'sqlite::memory:' })
await platform.catalog.import([path.join(HERE, '..', '..', '..', 'examples', 'catalog')])

let sink = 0
for (let i = 0; i < iterations / 10; i++) sink += platform.storeDescription.length
let start = process.hrtime.bigint()
for (let i = 0; i < iterations; i++) sink += platform.storeDescription.length
const describeNs = Number(process.hrtime.bigint() - start) / iterations

const catalog = platform.catalog
for (let i = 0; i < iterations / 10; i++) sink += (await catalog.get(REF)).metadata.name.length
start = process.hrtime.bigint()
for (let i = 0; i < iterations; i++) sink += (await catalog.get(REF)).metadata.name.length
const getNs = Number(process.hrtime.bigint() - start) / iterations

// How many `get` promises are already settled when returned (the read
// needed no wait: src/settled.rs), out of 100.
const PENDING = Symbol('pending')
let settledAtOnce = 0
for (let i = 0; i < 100; i++) {
  const p = catalog.get(REF)
  if ((await Promise.race([p, Promise.resolve(PENDING)])) !== PENDING) settledAtOnce++
  await p
}

console.log(JSON.stringify({ iterations, storeDescription_ns: +describeNs.toFixed(1), get_ns: +getNs.toFixed(1), get_settled_at_once_of_100: settledAtOnce, sink }))
