// Golden paths from Node, on the real engine and a SQLite store in a
// temporary directory: the fixture Templates (__test__/fixtures/paths,
// copied to the test's directory and imported with `catalog.import`) are
// listed and shown; a dry run returns the files with their rendered content
// and writes nothing; a run renders the skeleton, registers the Component
// with its provenance annotations and reports each step's progress
// (`for await` over the run, then `await` it for the record); a run whose
// last step no longer matches its preview rolls back (status `rolled-back`,
// `undone`, nothing left behind); bad parameters are a VALIDATION error
// naming `parameters.<field>`; a run killed mid-way is resumed; runs,
// runInfo, metrics and snapshot tests answer; and the password parameter
// never shows in a record, a progress message, the log or the audit log,
// though the run used it.

import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { after, before, describe, it } from 'node:test'

import { PACKAGE_DIR, paved, rejectsWith, scratchDir } from './helpers.mjs'

const FIXTURE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'paths')
const TEMPLATE = 'template:default/create-service'
const SLOW = 'template:default/create-service-slowly'
const SECRET = 's3cr3t-key-7f1d'
const PARAMS = { name: 'billing', apiKey: SECRET }

/** Every file under `root`, relative and sorted ([] when it does not exist). */
function filesUnder(root) {
  if (!existsSync(root)) return []
  return readdirSync(root, { recursive: true })
    .filter((f) => statSync(path.join(root, f)).isFile())
    .sort()
}

/**
 * A temporary directory with the fixture Templates copied to `templates`,
 * a SQLite store and a paved.yaml whose leases lapse after a second (a
 * killed run is resumable soon after); `open()` opens it and imports the
 * Templates.
 */
function setup() {
  const root = scratchDir('paved-node-paths-')
  const templates = path.join(root, 'templates')
  cpSync(FIXTURE, templates, { recursive: true })
  const config = path.join(root, 'paved.yaml')
  writeFileSync(config, 'resources:\n  leaseTtl: 1s\n')
  const store = `sqlite:${path.join(root, 'paved.db')}`
  return {
    root,
    templates,
    config,
    store,
    workspace: path.join(root, 'ws'),
    async open() {
      const platform = await paved.open({ store, config })
      await platform.catalog.import([path.join(templates, 'template.yaml'), path.join(templates, 'slow-template.yaml')])
      return platform
    },
    drop: () => rmSync(root, { recursive: true, force: true }),
  }
}

describe('golden paths', () => {
  let s
  let platform
  before(async () => {
    s = setup()
    platform = await s.open()
  })
  after(() => s.drop())

  // Each test works in a workspace of its own, under the same store.
  let n = 0
  const workspace = () => path.join(s.root, `ws-${++n}`)

  it('lists and shows the Templates', async () => {
    const listed = Object.fromEntries((await platform.paths.list()).map((t) => [t.reference, t]))
    assert.deepEqual(Object.keys(listed).sort(), [TEMPLATE, SLOW])
    const t = listed[TEMPLATE]
    assert.equal(t.name, 'create-service')
    assert.equal(t.title, 'Create a service')
    assert.deepEqual(t.actions, ['fetch:template', 'debug:log', 'catalog:register'])
    assert.ok(t.version)
    assert.equal(t.problems, undefined)
    assert.equal(t.parameters[0].properties.apiKey['ui:widget'], 'password')
    // By short ref, full ref or file: the same Template.
    assert.deepEqual(await platform.paths.show('create-service'), t)
    assert.deepEqual(await platform.paths.show(TEMPLATE), t)
    assert.equal((await platform.paths.show(path.join(s.templates, 'template.yaml'))).reference, TEMPLATE)
    await rejectsWith(assert, platform.paths.show('no-such-template'), 'NOT_FOUND')
  })

  it('previews a run with the rendered files, writing nothing', async () => {
    const ws = workspace()
    const before = (await platform.audit.list({ limit: 10000 })).length
    const runsBefore = (await platform.paths.runs()).length
    const plan = await platform.paths.dryRun(TEMPLATE, PARAMS, { workspace: ws })
    assert.equal(plan.template, TEMPLATE)
    assert.equal(plan.workspace, ws)
    assert.deepEqual(plan.parameters, { name: 'billing', owner: 'team-a', apiKey: '***' })
    const files = Object.fromEntries(plan.files.map((f) => [f.path, f]))
    assert.deepEqual(Object.keys(files).sort(), ['README.md', 'catalog-info.yaml', 'config.env'])
    assert.equal(files['README.md'].action, 'create')
    assert.equal(files['README.md'].content, '# billing\n\nOwned by team-a.\n')
    assert.equal(files['config.env'].content, 'API_KEY=***\n')
    assert.deepEqual(
      plan.steps.map((st) => st.id),
      ['fetch', 'log', 'register'],
    )
    assert.equal(plan.entities.length, 1)
    assert.equal(plan.entities[0].entityRef, 'component:default/billing')
    assert.equal(plan.entities[0].outcome, 'created')
    assert.equal(plan.entities[0].entity.metadata.annotations['paved.dev/template'], TEMPLATE)
    assert.equal(plan.blocked, false)
    assert.ok(plan.digest)
    // Nothing happened: no workspace, no component, no run, no audit record.
    assert.equal(existsSync(ws), false)
    await rejectsWith(assert, platform.catalog.get('component:default/billing'), 'NOT_FOUND')
    assert.equal((await platform.paths.runs()).length, runsBefore)
    assert.equal((await platform.audit.list({ limit: 10000 })).length, before)
  })

  it('runs: progress while it works, then the record; the Component is registered with its provenance', async () => {
    const ws = workspace()
    // A run that would not do what was previewed does nothing.
    const stale = await rejectsWith(assert, platform.paths.run(TEMPLATE, PARAMS, { workspace: ws, expectDigest: '0'.repeat(32) }), 'VALIDATION')
    assert.deepEqual(
      stale.details.diagnostics.map((d) => d.path),
      ['expectDigest'],
    )
    assert.equal(existsSync(ws), false)

    const run = platform.paths.run(TEMPLATE, PARAMS, { workspace: ws, actor: 'user:default/jane' })
    const progress = []
    for await (const p of run) progress.push(p)
    const record = await run
    // Awaiting again gives the same record.
    assert.deepEqual(await run, record)
    assert.equal(record.status, 'succeeded')
    assert.equal(record.actor, 'user:default/jane')
    assert.deepEqual(
      record.steps.map((st) => st.status),
      ['done', 'done', 'done'],
    )
    assert.deepEqual(record.output.links, [{ title: 'In the catalogue', entityRef: 'component:default/billing' }])
    // Each step started then done, in order, the log line between, then the end.
    assert.deepEqual([...new Set(progress.map((p) => p.run))], [record.id])
    assert.deepEqual(
      progress.map((p) => [p.step ?? null, p.status]),
      [
        ['fetch', 'started'],
        ['fetch', 'done'],
        ['log', 'started'],
        [null, 'log'],
        ['log', 'done'],
        ['register', 'started'],
        ['register', 'done'],
        [null, 'finished'],
      ],
    )
    assert.equal(progress.at(-1).message, 'succeeded')
    // The files are on disk, the Component in the catalogue with its provenance.
    assert.deepEqual(filesUnder(ws), ['README.md', 'catalog-info.yaml', 'config.env'])
    assert.equal(readFileSync(path.join(ws, 'README.md'), 'utf8'), '# billing\n\nOwned by team-a.\n')
    const annotations = (await platform.catalog.get('component:default/billing')).metadata.annotations
    assert.equal(annotations['paved.dev/template'], TEMPLATE)
    assert.equal(annotations['paved.dev/template-version'], record.templateVersion)
    assert.equal(annotations['paved.dev/run'], record.id)
    assert.equal(annotations['backstage.io/source-template'], TEMPLATE)
    assert.deepEqual(JSON.parse(annotations['paved.dev/template-inputs']), { name: 'billing', owner: 'team-a' })
    // Awaited without iterating: the record, the same way.
    const again = await platform.paths.run(TEMPLATE, { ...PARAMS, name: 'ledger', owner: 'team-b' }, { workspace: workspace() })
    assert.equal(again.status, 'succeeded')
    assert.equal((await platform.catalog.get('component:default/ledger')).metadata.annotations['paved.dev/run'], again.id)
  })

  it('rolls a run back when a step fails, leaving nothing', async () => {
    const ws = workspace()
    const notice = path.join(s.templates, 'notice.txt')
    const original = readFileSync(notice, 'utf8')
    const run = platform.paths.run(SLOW, { ...PARAMS, name: 'doomed' }, { workspace: ws })
    const progress = []
    try {
      for await (const p of run) {
        progress.push(p)
        // While the run waits, what its last step copies changes.
        if (p.step === 'wait' && p.status === 'started') writeFileSync(notice, 'Changed behind the run\'s back.\n')
      }
    } finally {
      writeFileSync(notice, original)
    }
    const record = await run
    assert.equal(record.status, 'rolled-back')
    assert.ok(record.error.startsWith('step notice failed:'), record.error)
    assert.deepEqual(Object.fromEntries(record.steps.map((st) => [st.id, st.status])), {
      fetch: 'undone',
      register: 'undone',
      wait: 'undone',
      notice: 'failed',
    })
    assert.ok(record.undone.includes('removed component:default/doomed from the catalogue'), record.undone.join('; '))
    assert.ok(record.undone.includes('removed README.md'), record.undone.join('; '))
    assert.deepEqual(record.notUndone ?? [], [])
    // Nothing is left: no file, no component.
    assert.deepEqual(filesUnder(ws), [])
    await rejectsWith(assert, platform.catalog.get('component:default/doomed'), 'NOT_FOUND')
    // Progress said so: the failure, each undo, then the end.
    assert.ok(progress.some((p) => p.step === 'notice' && p.status === 'failed'))
    assert.deepEqual(
      progress.filter((p) => p.status === 'undone').map((p) => p.message),
      record.undone,
    )
    assert.deepEqual(progress.at(-1), { run: record.id, status: 'finished', message: 'rolled-back' })
  })

  it('refuses bad parameters with a VALIDATION error naming the field', async () => {
    const ws = workspace()
    const runsBefore = (await platform.paths.runs()).length
    const bad = { name: 'Not A Name', apiKey: SECRET }
    const paths = (err) => err.details.diagnostics.map((d) => d.path)
    assert.deepEqual(paths(await rejectsWith(assert, platform.paths.dryRun(TEMPLATE, bad), 'VALIDATION')), ['parameters.name'])
    assert.ok(paths(await rejectsWith(assert, platform.paths.run(TEMPLATE, { name: 'billing' }, { workspace: ws }), 'VALIDATION')).includes('parameters.apiKey'))
    // Iterating a run that cannot start throws its error, and so does awaiting it afterwards.
    const run = platform.paths.run(TEMPLATE, bad, { workspace: ws })
    await rejectsWith(
      assert,
      (async () => {
        for await (const _ of run);
      })(),
      'VALIDATION',
    )
    assert.deepEqual(paths(await rejectsWith(assert, run, 'VALIDATION')), ['parameters.name'])
    assert.equal(existsSync(ws), false)
    assert.equal((await platform.paths.runs()).length, runsBefore)
  })

  it('lists runs, reads one, measures them', async () => {
    const runs = await platform.paths.runs()
    // Those of the tests above: three succeeded, one rolled back, newest first.
    assert.deepEqual(
      runs.map((r) => r.status),
      ['rolled-back', 'succeeded', 'succeeded'],
    )
    assert.ok(runs[0].startedAt >= runs[1].startedAt)
    assert.equal(runs[1].steps, 3)
    assert.equal(runs[1].stepsDone, 3)
    assert.equal(runs[1].interrupted, false)
    assert.deepEqual(
      (await platform.paths.runs(SLOW)).map((r) => r.status),
      ['rolled-back'],
    )
    assert.equal((await platform.paths.runs('create-service', { limit: 1 })).length, 1)
    await rejectsWith(assert, platform.paths.runs(undefined, { limit: -1 }), 'VALIDATION')
    const info = await platform.paths.runInfo(runs[1].id)
    assert.equal(info.id, runs[1].id)
    assert.equal(info.status, 'succeeded')
    assert.equal(info.plan.template, TEMPLATE)
    await rejectsWith(assert, platform.paths.runInfo('no-such-run'), 'NOT_FOUND')

    const metrics = await platform.paths.metrics()
    assert.equal(metrics.total.runs, 3)
    assert.equal(metrics.total.succeeded, 2)
    assert.equal(metrics.total.failed, 1)
    assert.equal(metrics.byTemplate[TEMPLATE].runs, 2)
    assert.equal(metrics.byTemplate[SLOW].failed, 1)
    assert.deepEqual(Object.keys(metrics.byTeam).sort(), ['team-a', 'team-b'])
    assert.equal(metrics.componentsFromPaths, 2)
    assert.equal((await platform.paths.metrics({ since: '2999-01-01T00:00:00Z' })).total.runs, 0)
  })

  it('never records the password parameter', async () => {
    const ws = workspace()
    const run = platform.paths.run(TEMPLATE, { ...PARAMS, name: 'secretive' }, { workspace: ws })
    const progress = []
    for await (const p of run) progress.push(p)
    const record = await run
    assert.equal(record.status, 'succeeded')
    // The run used it ...
    assert.equal(readFileSync(path.join(ws, 'config.env'), 'utf8'), `API_KEY=${SECRET}\n`)
    // ... and nothing kept it.
    assert.equal(record.parameters.apiKey, '***')
    assert.ok(record.log.includes('deploying secretive with key ***'), record.log.join('; '))
    assert.ok(progress.some((p) => p.message === 'deploying secretive with key ***'))
    const kept = {
      record,
      progress,
      runInfo: await platform.paths.runInfo(record.id),
      runs: await platform.paths.runs(),
      audit: await platform.audit.list({ limit: 10000 }),
      component: await platform.catalog.get('component:default/secretive'),
      dryRun: await platform.paths.dryRun(TEMPLATE, { ...PARAMS, name: 'other' }, { workspace: workspace() }),
    }
    for (const [what, value] of Object.entries(kept)) {
      assert.ok(!JSON.stringify(value).includes(SECRET), `the secret shows in the ${what}`)
    }
    assert.ok(kept.audit.some((r) => r.action === 'path.run'))
  })

  it('tests a Template against a snapshot', async () => {
    const snapshot = path.join(s.root, 'snapshot')
    const runsBefore = (await platform.paths.runs()).length
    const written = await platform.paths.test(TEMPLATE, PARAMS, snapshot, { update: true })
    assert.equal(written.updated, true)
    assert.equal(written.passed, true)
    assert.ok(existsSync(path.join(snapshot, 'plan.json')))
    assert.deepEqual(await platform.paths.test(TEMPLATE, PARAMS, snapshot), { snapshot, passed: true, updated: false, differences: [] })
    const changed = await platform.paths.test(TEMPLATE, { ...PARAMS, name: 'ledger' }, snapshot)
    assert.equal(changed.passed, false)
    assert.ok(
      changed.differences.some((d) => d.includes('README.md')),
      changed.differences.join('; '),
    )
    // A test is a dry run: nothing ran.
    assert.equal((await platform.paths.runs()).length, runsBefore)
  })
})

describe('a golden-path run killed mid-way', () => {
  let s
  after(() => s.drop())

  it('is resumed from its last completed step', async () => {
    s = setup()
    // Another process runs the Template and is killed once the skeleton is
    // rendered (PAVED_CRASH_AT: the engine kills itself there).
    const script = `const paved = require(${JSON.stringify(PACKAGE_DIR)})
;(async () => {
  const p = await paved.open({ store: ${JSON.stringify(s.store)}, config: ${JSON.stringify(s.config)} })
  await p.catalog.import([${JSON.stringify(path.join(s.templates, 'template.yaml'))}])
  await p.paths.run(${JSON.stringify(TEMPLATE)}, ${JSON.stringify(PARAMS)}, { workspace: ${JSON.stringify(s.workspace)} })
})()`
    const child = spawnSync(process.execPath, ['-e', script], {
      env: { ...process.env, PAVED_CRASH_AT: 'path-after-effects:fetch' },
      encoding: 'utf8',
      timeout: 120_000,
    })
    assert.equal(child.signal, 'SIGKILL', child.stderr)

    const platform = await s.open()
    let [summary] = await platform.paths.runs()
    assert.equal(summary.status, 'running')
    const deadline = Date.now() + 10_000
    while (!summary.interrupted && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200)) // its lease lapses after a second
      ;[summary] = await platform.paths.runs()
    }
    assert.equal(summary.interrupted, true)
    assert.deepEqual(filesUnder(s.workspace), ['README.md', 'catalog-info.yaml', 'config.env'])

    const run = platform.paths.resume(summary.id, { actor: 'user:default/ops' })
    const progress = []
    for await (const p of run) progress.push(p)
    const record = await run
    assert.equal(record.id, summary.id)
    assert.equal(record.status, 'succeeded')
    assert.deepEqual(
      record.steps.map((st) => st.status),
      ['done', 'done', 'done'],
    )
    assert.ok(record.log[0].startsWith('resumed by user:default/ops'), record.log[0])
    // The fetch step's effects were done: it is done again (idempotent) and the run goes on.
    assert.deepEqual(
      progress.filter((p) => p.step).slice(-2).map((p) => [p.step, p.status]),
      [
        ['register', 'started'],
        ['register', 'done'],
      ],
    )
    assert.equal(progress.at(-1).status, 'finished')
    assert.equal((await platform.catalog.get('component:default/billing')).metadata.annotations['paved.dev/run'], record.id)
    assert.equal((await platform.paths.runs())[0].interrupted, false)
    await rejectsWith(assert, platform.paths.resume(record.id), 'VALIDATION')
  })
})
