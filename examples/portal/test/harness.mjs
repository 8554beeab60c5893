// Test harness for the portal: start it as its own process (on a free port on
// 127.0.0.1), drive Debian's Chromium headless with playwright-core, write to
// the same store from yet another process, keep screenshots.

import { execFileSync, spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

import { chromium } from 'playwright-core'

const HERE = path.dirname(fileURLToPath(import.meta.url))
export const PORTAL_DIR = path.join(HERE, '..')
export const REPO = path.join(PORTAL_DIR, '..', '..')
const TARGET = process.env.CARGO_TARGET_DIR ? path.resolve(REPO, process.env.CARGO_TARGET_DIR) : path.join(REPO, 'target')
export const SCREENSHOTS = path.join(TARGET, 'portal-screenshots')
export const CHROMIUM = process.env.PAVED_CHROMIUM || '/usr/bin/chromium'

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
]

/** The built example plugin `name` (e.g. `local-directory`); bindings/node/test.sh builds examples/plugins. */
export function pluginWasm(name) {
  const file = path.join(TARGET, 'wasm32-wasip2', 'release', `${name.replace(/-/g, '_')}.wasm`)
  if (!existsSync(file)) throw new Error(`${file} is not built: run bindings/node/test.sh (it builds examples/plugins)`)
  return file
}

/** A fresh working directory: the portal's embedded default store goes in it. */
export function workDir() {
  return mkdtempSync(path.join(os.tmpdir(), 'paved-portal-'))
}

/**
 * Start `node server.mjs --port 0 …args` in `cwd`; resolves with
 * `{ url, stop(), output() }` once it prints the address it listens on.
 */
export function startPortal(cwd, args = []) {
  const child = spawn(process.execPath, [path.join(PORTAL_DIR, 'server.mjs'), '--port', '0', ...args], {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the portal did not start in 60 s:\n${out}`)), 60000)
    const onData = (d) => {
      out += d
      const m = /listening on (http:\/\/[\d.]+:\d+)\//.exec(out)
      if (m) {
        clearTimeout(timer)
        resolve({
          url: m[1],
          output: () => out,
          stop: () =>
            new Promise((done) => {
              if (child.exitCode !== null) return done()
              child.once('exit', done)
              child.kill('SIGTERM')
            }),
        })
      }
    }
    child.stdout.on('data', onData)
    child.stderr.on('data', (d) => (out += d))
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`the portal exited with ${code}:\n${out}`))
    })
  })
}

/** Launch Chromium; resolves with the browser. */
export function launchBrowser() {
  mkdirSync(SCREENSHOTS, { recursive: true })
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS })
}

/** Save a full-page screenshot as target/portal-screenshots/<name>.png. */
export async function screenshot(page, name) {
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true })
}

/**
 * Run `code` (an ES module body with `paved` and `store` in scope) in another
 * Node process that uses the paved package on its own.
 */
export function inAnotherProcess(store, code) {
  const script = `import { open } from 'paved'
const store = ${JSON.stringify(store)}
${code}`
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: PORTAL_DIR, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => (err += d))
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`child exited ${code}: ${err}`))))
  })
}

const PG = process.env.PAVED_TEST_PG || 'postgres://postgres@127.0.0.1:5432'

function psql(sql) {
  const url = new URL(PG)
  execFileSync('psql', ['-h', url.hostname, '-p', url.port || '5432', '-U', url.username || 'postgres', '-d', 'postgres', '-v', 'ON_ERROR_STOP=1', '-q', '-c', sql], {
    stdio: ['ignore', 'ignore', 'inherit'],
  })
}

/** A new PostgreSQL database: `{ url, drop() }`. */
export function postgresDatabase() {
  const db = `paved_portal_${process.pid}_${Math.random().toString(36).slice(2, 10)}`
  psql(`CREATE DATABASE ${db}`)
  return { url: `${PG}/${db}`, drop: () => psql(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`) }
}
