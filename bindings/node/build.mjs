#!/usr/bin/env node
// Builds the native addon with plain cargo (the host target, so it shares
// every compiled dependency with the rest of the workspace in one target
// dir) and writes the generated files:
//
//   <out>/paved.<platform>.node   the addon (target/<profile>/libpaved_node.so)
//   <out>/index.d.ts               from the #[napi] items and their doc comments,
//                                  with dts-header.d.ts on top
//   <out>/native.js                the platform loader
//
//   node build.mjs [--release] [--out DIR] [-- <cargo args>]
//
// The cargo args default to `build -p paved-node` (what test.sh builds).
// (`napi build` would pass `--target`, which puts every dependency in a
// second build tree.) Type definitions come from
// napi-derive at compile time (NAPI_TYPE_DEF_TMP_FOLDER); NAPI_FORCE_BUILD_*
// makes cargo recompile this crate, and only this crate, so they are written.

import { execFileSync, spawnSync } from 'node:child_process'
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

import { generateTypeDef, parseTriple, writeJsBinding } from '@napi-rs/cli'

const HERE = path.dirname(fileURLToPath(import.meta.url))
const ROOT = path.join(HERE, '..', '..')
const pkg = JSON.parse(readFileSync(path.join(HERE, 'package.json'), 'utf8'))
const CRATE = 'paved-node'

const { values, positionals } = parseArgs({
  options: { release: { type: 'boolean', default: false }, out: { type: 'string', default: HERE } },
  allowPositionals: true,
})
const out = path.resolve(values.out)
const profile = values.release ? 'release' : 'debug'
const cargoArgs = positionals.length ? positionals : ['build', '-p', CRATE]
if (values.release && !cargoArgs.includes('--release')) cargoArgs.push('--release')

const targetDir = process.env.CARGO_TARGET_DIR ? path.resolve(ROOT, process.env.CARGO_TARGET_DIR) : path.join(ROOT, 'target')
const typeDefDir = mkdtempSync(path.join(os.tmpdir(), 'paved-node-typedef-'))
try {
  const started = Date.now()
  const cargo = spawnSync(process.env.CARGO || 'cargo', cargoArgs, {
    cwd: ROOT,
    stdio: 'inherit',
    env: {
      ...process.env,
      CARGO_TARGET_DIR: targetDir,
      NAPI_TYPE_DEF_TMP_FOLDER: typeDefDir,
      [`NAPI_FORCE_BUILD_${CRATE.toUpperCase().replace(/-/g, '_')}`]: String(started),
    },
  })
  if (cargo.status !== 0) process.exit(cargo.status ?? 1)

  const lib = path.join(targetDir, profile, `lib${CRATE.replace(/-/g, '_')}.so`)
  if (statSync(lib).mtimeMs < started - 1000) {
    throw new Error(`${lib} was not rebuilt by \`cargo ${cargoArgs.join(' ')}\``)
  }
  // With `--all-targets` the crate's lib and its test harness both compile
  // and napi-derive writes every item once per compilation into the same
  // file; keep each line once (seen as duplicated classes in index.d.ts
  // when both compiled in one build).
  for (const name of readdirSync(typeDefDir)) {
    const file = path.join(typeDefDir, name)
    const lines = readFileSync(file, 'utf8').split('\n')
    writeFileSync(file, [...new Set(lines)].join('\n'))
  }
  const host = /^host: (.+)$/m.exec(execFileSync('rustc', ['-vV'], { encoding: 'utf8' }))[1]
  const { platformArchABI } = parseTriple(host)
  mkdirSync(out, { recursive: true })
  copyFileSync(lib, path.join(out, `${pkg.napi.binaryName}.${platformArchABI}.node`))

  const { dts, exports } = await generateTypeDef({
    typeDefDir,
    cwd: HERE,
    configDtsHeaderFile: pkg.napi.dtsHeaderFile,
    constEnum: pkg.napi.constEnum,
    declareBindingTarget: true,
  })
  if (!exports.length) throw new Error(`no type definitions were written to ${typeDefDir}: was ${CRATE} recompiled?`)
  writeFileSync(path.join(out, 'index.d.ts'), dts)
  await writeJsBinding({
    platform: true,
    idents: exports,
    jsBinding: 'native.js',
    binaryName: pkg.napi.binaryName,
    packageName: pkg.name,
    version: pkg.version,
    outputDir: out,
  })
  console.error(`built ${path.relative(process.cwd(), path.join(out, `${pkg.napi.binaryName}.${platformArchABI}.node`))}, index.d.ts, native.js`)
} finally {
  rmSync(typeDefDir, { recursive: true, force: true })
}
