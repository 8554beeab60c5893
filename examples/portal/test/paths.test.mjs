// Golden paths in the portal, in a real browser: the portal starts in a
// fresh directory on the fixture catalogue (test/fixtures/paths: teams, a
// user and three Templates on one skeleton), with a paved.yaml that
// configures the local-directory provider (examples/plugins, built by
// bindings/node/test.sh) and a Rego policy on `path.run` that refuses runs
// to prod. The browser signs in as ada (the sign-in proxy's header), picks
// a golden path, fills the form JSON Editor draws from its parameters
// (two pages; a required field left empty comes back with the engine's
// error beside it), previews the run, runs it and follows it live to the
// entity it made; a run to prod is refused with the policy's explanation
// and makes nothing; a run whose last step fails shows what was rolled back.

import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, before, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'

import { open, PavedError } from 'paved'

import { previewPage, runPage, templatePage, templatesPage } from '../lib/paths-page.mjs'
import { launchBrowser, pluginWasm, screenshot, startPortal, workDir } from './harness.mjs'

const LONG = 20000
const FIXTURE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'paths', 'catalog-info.yaml')
const POLICY = `package paved.paths

import rego.v1

deny contains msg if {
	input.after.parameters.environment == "prod"
	msg := sprintf("%v may not deploy to prod from a golden path: ask the platform team", [input.actor])
}
`

async function exists(platform, ref) {
  try {
    await platform.catalog.get(ref)
    return true
  } catch (err) {
    if (err instanceof PavedError && err.code === 'NOT_FOUND') return false
    throw err
  }
}

describe('golden paths in the portal', () => {
  let dir
  let data
  let portal
  let platform
  let browser
  let context
  let page
  before(async () => {
    dir = workDir()
    data = mkdtempSync(path.join(os.tmpdir(), 'paved-portal-data-'))
    const rego = path.join(dir, 'no-prod.rego')
    writeFileSync(rego, POLICY)
    writeFileSync(
      path.join(dir, 'paved.yaml'),
      JSON.stringify({
        pluginCache: 'plugin-cache',
        plugins: [{ name: 'local_directory', path: pluginWasm('local-directory'), kind: 'provider', grants: { dirs: [{ host: data, guest: '/data', mode: 'rw' }] } }],
        policies: [
          {
            name: 'no-prod-from-golden-paths',
            rego: { policies: [rego] },
            match: { operations: ['path.run'] },
            description: 'Production deployments go through the release train, not a golden path.',
          },
        ],
      }),
    )
    portal = await startPortal(dir, ['--import', FIXTURE])
    platform = await open({ store: `sqlite:${path.join(dir, '.paved', 'paved.db')}`, config: path.join(dir, 'paved.yaml') })
    browser = await launchBrowser()
    context = await browser.newContext({ extraHTTPHeaders: { 'x-forwarded-user': 'ada' }, viewport: { width: 1280, height: 900 } })
    page = await context.newPage()
    page.setDefaultTimeout(LONG)
    page.on('pageerror', (err) => console.error(`page error: ${err.message}`))
  })
  after(async () => {
    await browser?.close()
    await portal?.stop()
    rmSync(data, { recursive: true, force: true })
  })

  /** Open a template's form from the list, as a user would. */
  async function openTemplate(title) {
    await page.goto(`${portal.url}/paths`)
    await page.locator('li.template-card h2').getByRole('link', { name: title, exact: true }).click()
    await page.locator('form#path-form[data-ready="true"]').waitFor()
  }

  // Each page's editor has its own root: page0.name, page1.owner, ….
  const field = (name) => page.locator(`.form-page:not([hidden]) [data-schemapath$=".${name}"]`)
  const input = (name) => field(name).locator('input, select, textarea').first()

  it('lists the golden paths; one with problems as not runnable', async () => {
    await page.goto(`${portal.url}/`)
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Create' }).click()
    await page.waitForURL(/\/paths$/)
    assert.equal(await page.locator('h1').innerText(), 'Create')
    const cards = page.locator('li.template-card')
    assert.deepEqual(await cards.evaluateAll((c) => c.map((e) => e.dataset.template)), [
      'template:default/create-service',
      'template:default/create-service-with-files',
      'template:default/publish-to-github',
    ])
    const service = page.locator('li.template-card[data-template="template:default/create-service"]')
    assert.match(await service.innerText(), /Create a service\s+service\s+A service with its README and catalogue entry/)
    assert.match(await service.innerText(), /Owner\s+platform\s+Tags\s+recommended\s+service/)
    assert.equal(await service.getByRole('link', { name: 'Choose' }).getAttribute('href'), '/paths/default/create-service')
    const broken = page.locator('li.template-card[data-template="template:default/publish-to-github"]')
    assert.match(await broken.locator('.notice').innerText(), /Not runnable[\s\S]*spec\.steps\[0\]\.action: step publish: unknown action 'publish:github': neither built in nor provided by a plugin/)
    assert.equal(await broken.getByRole('link', { name: 'Choose' }).count(), 0)
    await screenshot(page, '20-paths')
  })

  it('fills the generated form page by page; the engine says which field is wrong', async () => {
    await openTemplate('Create a service')
    assert.equal(await page.locator('h1').innerText(), 'Create a service service')
    // Two pages, one shown at a time.
    assert.deepEqual(await page.locator('.form-steps li').allInnerTexts(), ['About the service', 'Ownership and deployment'])
    assert.equal(await page.locator('.form-steps li[aria-current="step"]').innerText(), 'About the service')
    assert.equal(await page.locator('section.form-page[data-page="1"]').isHidden(), true)
    // Drawn from the schema: a required name with its help, a textarea, an
    // enum picker with its names (enumNames), in ui:order.
    assert.deepEqual(
      await page.locator('.form-page:not([hidden]) [data-schemapath^="page0."]').evaluateAll((e) => e.map((x) => x.dataset.schemapath)),
      ['page0.name', 'page0.language', 'page0.description'],
    )
    assert.equal(await field('name').locator('label').innerText(), 'Name')
    assert.match(await field('name').locator('label').getAttribute('class'), /required/)
    assert.match(await field('name').innerText(), /Unique in the catalogue\.[\s\S]*Lower-case letters, digits and dashes/)
    assert.equal(await field('description').locator('textarea').count(), 1)
    assert.equal(await input('description').inputValue(), 'A service made on a golden path')
    assert.deepEqual(await field('language').locator('option').allInnerTexts(), ['Node.js', 'Python', 'Go'])
    // The page must pass its schema before the next one.
    await input('name').fill('Not A Name')
    await page.getByRole('button', { name: 'Next' }).click()
    await field('name').locator('.errmsg').waitFor()
    assert.match(await field('name').locator('.errmsg').innerText(), /pattern/i)
    assert.equal(await page.locator('section.form-page[data-page="0"]').isVisible(), true)
    await input('name').fill('orders-api')
    await input('language').selectOption({ label: 'Go' })
    await page.getByRole('button', { name: 'Next' }).click()
    assert.equal(await page.locator('.form-steps li[aria-current="step"]').innerText(), 'Ownership and deployment')
    assert.equal(await page.locator('section.form-page[data-page="0"]').isHidden(), true)
    // A password widget for the secret; an enum with its default.
    assert.equal(await input('deployToken').getAttribute('type'), 'password')
    assert.equal(await input('environment').inputValue(), 'dev')
    await input('deployToken').fill('s3cr3t-t0ken')
    // Owner is required and left empty: the engine says so, beside the field.
    await page.getByRole('button', { name: 'Preview' }).click()
    await page.locator('#form-problems').waitFor()
    await page.locator('form#path-form[data-ready="true"]').waitFor()
    const summary = await page.locator('#form-problems li').allInnerTexts()
    assert.deepEqual(summary, ['Owner: missing required field: expected a string'])
    assert.equal(await page.locator('.form-steps li[aria-current="step"]').innerText(), 'Ownership and deployment')
    const error = field('owner').locator('.errmsg')
    await error.waitFor()
    assert.equal(await error.innerText(), 'missing required field: expected a string.')
    // The answers given are kept.
    assert.equal(await input('deployToken').inputValue(), 's3cr3t-t0ken')
    await page.getByRole('button', { name: 'Back' }).click()
    assert.equal(await input('name').inputValue(), 'orders-api')
    assert.equal(await input('language').inputValue(), 'go')
    await page.getByRole('button', { name: 'Next' }).click()
    await screenshot(page, '21-path-form-error')
    // Answering it clears the engine's error.
    await input('owner').fill('group:default/team-a')
    await input('owner').blur()
    await error.waitFor({ state: 'hidden' })
  })

  it('previews the run: files with content, entities, decisions; secrets masked', async () => {
    await page.getByRole('button', { name: 'Preview' }).click()
    await page.waitForURL(/\/paths\/default\/create-service\/preview$/)
    assert.equal(await page.locator('h1').innerText(), 'Preview: Create a service')
    assert.match(await page.locator('.preview-summary').innerText(), /^Running it would write 2 files, 1 entity to register, 0 policy decisions\. Nothing has happened yet\./)
    assert.deepEqual(await page.locator('li.planned-file').evaluateAll((l) => l.map((e) => `${e.dataset.file} ${e.querySelector('.file-action').textContent}`)), [
      'README.md create',
      'catalog-info.yaml create',
    ])
    // Files are collapsed; opened, they show their content.
    const readme = page.locator('li.planned-file[data-file="README.md"]')
    assert.equal(await readme.locator('pre').isVisible(), false)
    await readme.locator('summary').click()
    assert.equal((await readme.locator('pre').innerText()).trim(), '# orders-api\n\nA service made on a golden path\n\nWritten in go, owned by group:default/team-a.')
    const entity = page.locator('li.planned-entity[data-entity="component:default/orders-api"]')
    assert.match(await entity.locator('summary').innerText(), /component:default\/orders-api created by step register/)
    await entity.locator('summary').click()
    assert.match(await entity.locator('pre').innerText(), /"paved\.dev\/template": "template:default\/create-service"/)
    assert.match(await page.locator('#preview-decisions + p').innerText(), /No policy remarked on this run/)
    // The secret is masked in what is shown.
    assert.match(await page.locator('table.path-parameters').innerText(), /deployToken\s+\*\*\*/)
    assert.doesNotMatch(await page.locator('main').innerText(), /s3cr3t/)
    assert.deepEqual(await page.locator('ol.planned-steps > li').evaluateAll((l) => l.map((e) => e.dataset.step)), ['fetch', 'ci', 'register', 'log'])
    assert.equal(await page.getByRole('button', { name: 'Run' }).count(), 1)
    // Nothing happened yet.
    assert.equal(await exists(platform, 'component:default/orders-api'), false)
    await screenshot(page, '22-path-preview')
    // What runs is what was previewed: a run asked for with another
    // preview's digest is not run, and the preview is shown again.
    const parameters = await page.locator('form.run-form input[name="parameters"]').getAttribute('value')
    const stale = await page.request.post(`${portal.url}/paths/default/create-service/run`, { form: { parameters, digest: '0123456789abcdef' } })
    assert.equal(stale.status(), 409)
    assert.match(await stale.text(), /What this would do changed since you previewed it, so it was not run/)
    assert.deepEqual(await platform.paths.runs(), [])
  })

  it('runs it with live progress, then links to what it made', async () => {
    await page.getByRole('button', { name: 'Run' }).click()
    await page.waitForURL(/\/paths\/runs\/[0-9a-f]+$/)
    const id = /\/paths\/runs\/([0-9a-f]+)$/.exec(page.url())[1]
    const progress = page.locator('#run-progress')
    // Live: the wait step is seen running while the run goes on.
    await progress.locator('li.run-step[data-step="ci"][data-status="started"]').waitFor()
    assert.equal(await progress.locator('li.run-step[data-step="fetch"] .step-status').innerText(), 'done')
    assert.equal(await progress.locator('li.run-step[data-step="ci"] .step-status').innerText(), 'running')
    assert.equal(await progress.locator('li.run-step[data-step="register"] .step-status').innerText(), 'waiting')
    await screenshot(page, '23-path-run-live')
    // At the end the page is drawn with the outcome.
    await page.waitForURL(/\?ended=1$/)
    assert.match(await page.locator('h1').innerText(), /^Run [0-9a-f]+ succeeded$/)
    assert.deepEqual(await page.locator('li.run-step').evaluateAll((l) => l.map((e) => `${e.dataset.step} ${e.dataset.status}`)), [
      'fetch done',
      'ci done',
      'register done',
      'log done',
    ])
    assert.deepEqual(await page.locator('ol.run-log li').allInnerTexts(), ['Registered component:default/orders-api for dev'])
    const outcome = page.locator('section.run-outcome.succeeded')
    assert.match(await outcome.innerText(), /Next steps\s+Push the first commit of orders-api to deploy it to dev\./)
    await screenshot(page, '24-path-run-done')
    await outcome.getByRole('link', { name: 'Open it in the catalogue' }).click()
    await page.waitForURL(/\/catalog\/default\/component\/orders-api$/)
    assert.equal(await page.locator('h1').innerText(), 'orders-api Component')
    // The entity says which run made it, and links back.
    const madeBy = page.locator('a.made-by-run')
    assert.equal(await madeBy.getAttribute('href'), `/paths/runs/${id}`)
    const made = await platform.catalog.get('component:default/orders-api')
    assert.equal(made.metadata.annotations['paved.dev/run'], id)
    assert.equal(made.spec.owner, 'group:default/team-a')
    assert.doesNotMatch(JSON.stringify(made), /s3cr3t/)
    await madeBy.click()
    await page.waitForURL(new RegExp(`/paths/runs/${id}$`))
  })

  it('a run a policy denies shows why, offers no Run, and makes nothing', async () => {
    const before = (await platform.paths.runs()).length
    await openTemplate('Create a service')
    await input('name').fill('payments')
    await page.getByRole('button', { name: 'Next' }).click()
    await input('owner').fill('group:default/team-a')
    await input('environment').selectOption('prod')
    await page.getByRole('button', { name: 'Preview' }).click()
    await page.waitForURL(/\/preview$/)
    const denied = page.locator('#denied')
    assert.match(
      await denied.innerText(),
      /A policy refuses this run: it would not be run\.[\s\S]*no-prod-from-golden-paths: user:default\/ada may not deploy to prod from a golden path: ask the platform team/,
    )
    const row = page.locator('table.path-decisions tr[data-policy="no-prod-from-golden-paths"]')
    assert.match(await row.innerText(), /deny \(blocked\)/)
    assert.match(await row.innerText(), /Production deployments go through the release train/)
    assert.equal(await page.getByRole('button', { name: 'Run' }).count(), 0)
    await screenshot(page, '25-path-denied')
    // Asked to run all the same (a form posted without its preview), the engine refuses.
    const res = await page.request.post(`${portal.url}/paths/default/create-service/run`, {
      form: { parameters: JSON.stringify({ name: 'payments', owner: 'group:default/team-a', environment: 'prod' }) },
    })
    assert.equal(res.status(), 403)
    assert.match(await res.text(), /may not deploy to prod from a golden path/)
    assert.equal(await exists(platform, 'component:default/payments'), false)
    assert.equal((await platform.paths.runs()).length, before)
  })

  it('a run whose step fails shows the error and what was rolled back', async () => {
    await openTemplate('Create a service with a files directory')
    assert.equal(await page.locator('.form-steps').count(), 0)
    await input('name').fill('files-svc')
    await input('owner').fill('group:default/team-a')
    await page.getByRole('button', { name: 'Preview' }).click()
    await page.waitForURL(/\/preview$/)
    assert.deepEqual(await page.locator('li.planned-entity').evaluateAll((l) => l.map((e) => e.dataset.entity)), [
      'component:default/files-svc',
      'resource:default/files-svc-files',
    ])
    const planned = page.locator('li.planned-resource[data-resource="resource:default/files-svc-files"]')
    assert.match(await planned.innerText(), /^\+ create files-svc-files local\.directory via local_directory/)
    await page.getByRole('button', { name: 'Run' }).click()
    await page.waitForURL(/\?ended=1$/)
    assert.match(await page.locator('h1').innerText(), /^Run [0-9a-f]+ rolled back$/)
    const outcome = page.locator('section.run-outcome')
    assert.equal(await outcome.locator('h2').innerText(), 'Failed, and rolled back')
    assert.match(await outcome.locator('.run-error').innerText(), /^Step Provision its files directory failed: .*resource:default\/files-svc-files could not be provisioned/)
    assert.deepEqual(await outcome.locator('ul.undone li').allInnerTexts(), [
      'removed resource:default/files-svc-files from the catalogue',
      'removed component:default/files-svc from the catalogue',
      'removed catalog-info.yaml',
      'removed README.md',
    ])
    assert.deepEqual(await page.locator('li.run-step').evaluateAll((l) => l.map((e) => `${e.dataset.step} ${e.dataset.status}`)), [
      'fetch undone',
      'register undone',
      'files failed',
    ])
    assert.match(await page.locator('li.run-step[data-step="files"] .step-error').innerText(), /could not be provisioned/)
    await screenshot(page, '26-path-rolled-back')
    assert.equal(await exists(platform, 'component:default/files-svc'), false)
    assert.equal(await exists(platform, 'resource:default/files-svc-files'), false)
  })

  it('lists recent runs with status, template, actor and duration', async () => {
    await page.goto(`${portal.url}/paths`)
    await page.getByRole('link', { name: 'Recent runs' }).click()
    await page.waitForURL(/\/paths\/runs$/)
    const rows = page.locator('table.runs tbody tr')
    assert.equal(await rows.count(), 2)
    assert.match(await rows.nth(0).innerText(), /^[0-9a-f]+\s+create-service-with-files\s+rolled back[\s\S]*user:default\/ada\s+for team-a\s+.+UTC\s+[\d.]+ m?s\s+0 of 3$/)
    assert.match(await rows.nth(1).innerText(), /^[0-9a-f]+\s+create-service\s+succeeded\s+user:default\/ada\s+for team-a\s+.+UTC\s+[\d.]+ m?s\s+4 of 4$/)
    await screenshot(page, '27-path-runs')
  })

  it("follows a run another process started, to its end", async () => {
    // Started here, not by the portal: the portal follows it by reading its record.
    const run = platform.paths.run(
      'create-service',
      { name: 'elsewhere', owner: 'group:default/team-a' },
      { actor: 'user:default/ada', workspace: path.join(dir, 'elsewhere') },
    )
    const progress = run[Symbol.asyncIterator]()
    const { value: first } = await progress.next()
    await page.goto(`${portal.url}/paths/runs/${first.run}`)
    assert.match(await page.locator('h1').innerText(), /running$/)
    await page.waitForURL(/\?ended=1$/)
    assert.match(await page.locator('h1').innerText(), /succeeded$/)
    assert.deepEqual(await page.locator('li.run-step').evaluateAll((l) => l.map((e) => e.dataset.status)), ['done', 'done', 'done', 'done'])
    assert.equal((await run).status, 'succeeded')
  })
})

// The pages as HTML, from values of the shapes platform.paths returns:
// every string from a Template, the engine or a run is escaped, and the
// form's data cannot end its script element.
describe('golden-path pages escape what they show', () => {
  const EVIL = '<img src=x onerror="alert(1)">'
  const template = {
    reference: 'template:default/evil',
    name: 'evil',
    title: EVIL,
    description: EVIL,
    type: EVIL,
    owner: 'group:default/team-a',
    tags: [EVIL],
    version: 'abc',
    actions: [EVIL],
    parameters: [{ title: EVIL, properties: { x: { type: 'string', title: '</script><script>alert(1)</script>', 'ui:help': EVIL } } }],
  }

  it('the list, the form and its problems', () => {
    const list = String(templatesPage([{ ...template, problems: [{ path: EVIL, message: EVIL }] }], []))
    const form = String(templatePage(template, { values: { x: '</script>' }, errors: [{ path: 'parameters.x', message: EVIL }] }, []))
    for (const out of [list, form]) assert.doesNotMatch(out, /<img/)
    assert.doesNotMatch(form, /<\/script><script>/)
    assert.equal((form.match(/<\/script>/g) || []).length, 4) // feed.js, jsoneditor.js, paths.js and the data's own
  })

  it('the preview and a run', () => {
    const plan = {
      template: template.reference,
      templateVersion: 'abc',
      parameters: { x: EVIL },
      workspace: EVIL,
      steps: [{ id: EVIL, name: EVIL, action: EVIL, skipped: false, effects: [{ type: 'log', message: EVIL }], output: {}, rollback: true }],
      files: [{ path: EVIL, action: 'create', content: EVIL }],
      entities: [{ entityRef: EVIL, outcome: 'created', entity: { x: EVIL }, step: EVIL }],
      decisions: [{ policy: EVIL, point: 'path.run', subject: EVIL, verdict: 'deny', mode: 'enforce', blocking: true, violations: [{ path: EVIL, message: EVIL }] }],
      blocked: true,
      output: { links: [{ title: EVIL, url: 'javascript:alert(1)' }], text: [{ title: EVIL, content: EVIL }] },
      digest: EVIL,
    }
    const preview = String(previewPage(template, plan, { x: EVIL }, 'user:default/ada', []))
    assert.doesNotMatch(preview, /<img/)
    assert.doesNotMatch(preview, /href="javascript:/)
    const run = String(
      runPage(
        {
          id: 'abc123',
          template: template.reference,
          templateVersion: 'abc',
          actor: EVIL,
          status: 'rolled-back',
          startedAt: '2026-05-01T10:20:30Z',
          finishedAt: '2026-05-01T10:20:31Z',
          parameters: { x: EVIL },
          workspace: EVIL,
          steps: [{ id: EVIL, name: EVIL, action: EVIL, status: 'failed', rollback: true, output: {}, error: EVIL }],
          plan,
          output: { links: [{ title: EVIL, url: 'javascript:alert(1)' }] },
          log: [EVIL],
          error: EVIL,
          undone: [EVIL],
          notUndone: [EVIL],
        },
        [],
      ),
    )
    assert.doesNotMatch(run, /<img/)
    assert.match(run, /What was rolled back/)
  })
})
