// Resources in the portal, in a real browser: the portal is started in a
// fresh directory whose paved.yaml configures the local-directory provider
// (examples/plugins, built by bindings/node/test.sh) with a temporary
// directory granted at /data. The test declares and applies resources with
// the Node API on the same store, then reads the Resources page and a
// Resource's entity page; after a hand edit and a drift check through the
// API, the pages say it drifted.

import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, before, describe, it } from 'node:test'

import { open } from 'paved'

import { launchBrowser, pluginWasm, screenshot, startPortal, workDir } from './harness.mjs'

const LONG = 20000
const APP = 'resource:default/app-dir'
const NEXT = 'resource:default/next-dir'

function group(name) {
  return { apiVersion: 'backstage.io/v1alpha1', kind: 'Group', metadata: { name }, spec: { type: 'team', children: [] } }
}

function resource(name, owner, files, description) {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Resource',
    metadata: { name, ...(description ? { description } : {}) },
    spec: { type: 'local.directory', owner, params: { files } },
  }
}

describe('resources in the portal', () => {
  let dir
  let data
  let portal
  let platform
  let browser
  let page
  let applied
  before(async () => {
    dir = workDir()
    data = mkdtempSync(path.join(os.tmpdir(), 'paved-portal-data-'))
    writeFileSync(
      path.join(dir, 'paved.yaml'),
      JSON.stringify({
        pluginCache: 'plugin-cache',
        plugins: [{ name: 'local_directory', path: pluginWasm('local-directory'), kind: 'provider', grants: { dirs: [{ host: data, guest: '/data', mode: 'rw' }] } }],
      }),
    )
    portal = await startPortal(dir, ['--no-import'])
    // The same store and config, from this process.
    platform = await open({ store: `sqlite:${path.join(dir, '.paved', 'paved.db')}`, config: path.join(dir, 'paved.yaml') })
    const actor = { actor: 'user:default/ci-bot' }
    for (const g of ['team-a', 'team-b']) await platform.catalog.upsert(group(g), actor)
    await platform.catalog.upsert(resource('app-dir', 'team-a', { 'README.md': 'hello' }, 'The app\'s files'), actor)
    // Declared, not applied: its plan is a create, whose diff holds markup
    // that must be shown as text.
    await platform.catalog.upsert(resource('next-dir', 'team-b', { 'index.html': '<b>hi</b><script>document.title="owned"</script>' }), actor)
    applied = await platform.resources.apply([APP], actor)
    assert.deepEqual(
      applied.results.map((r) => [r.resource, r.status]),
      [[APP, 'done']],
    )
    assert.equal(readFileSync(path.join(data, 'app-dir', 'README.md'), 'utf8'), 'hello')
    browser = await launchBrowser()
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
    page.setDefaultTimeout(LONG)
  })
  after(async () => {
    await browser?.close()
    await portal?.stop()
    rmSync(data, { recursive: true, force: true })
  })

  it('lists resources per team with their status, version and owner', async () => {
    await page.goto(`${portal.url}/`)
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Resources' }).click()
    await page.waitForURL(/\/resources$/)
    assert.equal(await page.locator('h1').innerText(), 'Resources')
    const row = page.locator(`tr[data-resource="${APP}"]`)
    assert.equal(await row.locator('td.status').innerText(), 'managed')
    assert.match(await row.innerText(), /^app-dir\s+local\.directory\s+team-a\s+managed\s+1\b/)
    assert.match(await row.innerText(), /never checked/)
    assert.equal(await row.getByRole('link', { name: 'team-a' }).getAttribute('href'), '/catalog/default/group/team-a')
    const next = page.locator(`tr[data-resource="${NEXT}"]`)
    assert.equal(await next.locator('td.status').innerText(), 'not applied yet')
    // One section per team.
    assert.deepEqual(await page.locator('section.team-resources').evaluateAll((s) => s.map((e) => e.dataset.owner)), ['group:default/team-a', 'group:default/team-b'])
    assert.equal(await page.locator('section[data-owner="group:default/team-a"] tbody tr').count(), 1)
    await screenshot(page, '11-resources')

    // One team's.
    await page.getByLabel('Team', { exact: true }).selectOption({ label: 'team-b' })
    await page.getByRole('button', { name: 'Show' }).click()
    await page.waitForURL(/owner=group%3Adefault%2Fteam-b/)
    assert.equal(await page.locator('h1').innerText(), 'Resources of team-b')
    assert.deepEqual(await page.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.dataset.resource)), [NEXT])
  })

  it("shows a Resource's state, history and plan preview on its page", async () => {
    await page.goto(`${portal.url}/resources`)
    await page.locator(`tr[data-resource="${APP}"]`).getByRole('link', { name: 'app-dir' }).click()
    await page.waitForURL(/\/catalog\/default\/resource\/app-dir$/)
    const section = page.locator('section#provisioning')
    assert.match(await section.locator('dl.state').innerText(), /Status\s+managed[\s\S]*State version\s+1, .+ \(create by user:default\/ci-bot\)/)
    assert.deepEqual(await section.locator('table.outputs tbody tr').allInnerTexts(), ['path\t/data/app-dir'])
    const history = section.locator('table.resource-history tbody tr')
    assert.equal(await history.count(), 1)
    assert.match(await history.innerText(), new RegExp(`^1\\s+.+UTC\\s+create\\s+managed\\s+user:default/ci-bot\\s+${applied.plan.id}$`))
    assert.match(await section.locator('.plan-summary').innerText(), /^No changes: the resource is as its Resource asks/)
    assert.match(await section.locator('li.planned-resource').innerText(), /no-op\s+app-dir/)
    await screenshot(page, '12-resource-entity')

    // A Resource not applied yet: a create, its diff shown as text.
    await page.goto(`${portal.url}/catalog/default/resource/next-dir`)
    assert.match(await section.innerText(), /Not provisioned yet/)
    const planned = section.locator('li.planned-resource')
    assert.equal(await planned.locator('code.sign').innerText(), '+')
    assert.match(await planned.innerText(), /create\s+next-dir/)
    assert.equal(
      await planned.locator('table.diff tbody tr td:nth-child(3)').innerText(),
      '<b>hi</b><script>document.title="owned"</script>',
    )
    assert.equal(await planned.locator('table.diff b').count(), 0)
    assert.notEqual(await page.title(), 'owned')
    assert.match(await section.locator('.plan-summary').innerText(), /^1 to change/)
  })

  it('shows drift found by a check made through the API', async () => {
    writeFileSync(path.join(data, 'app-dir', 'README.md'), 'edited by hand')
    const drift = await platform.resources.drift([APP], { actor: 'user:default/drift-bot' })
    assert.equal(drift.resources[0].status, 'drifted')

    await page.goto(`${portal.url}/resources?owner=group:default/team-a`)
    const row = page.locator(`tr[data-resource="${APP}"]`)
    assert.match(await row.locator('.drift').innerText(), /^drifted$/)
    assert.match(await row.innerText(), /drifted \(state\.files\.README\.md\)/)
    await screenshot(page, '13-resources-drifted')

    await page.goto(`${portal.url}/catalog/default/resource/app-dir`)
    const section = page.locator('section#provisioning')
    assert.match(await section.locator('dl.state').innerText(), /Last drift check\s+drifted/)
    // The plan now repairs it.
    const planned = section.locator('li.planned-resource')
    assert.equal(await planned.locator('code.sign').innerText(), '~')
    assert.match(await planned.locator('table.diff').innerText(), /files\.README\.md[\s\S]*hello/)
    // The feed says who checked.
    const item = page.locator('#feed li', { hasText: 'checked for drift' })
    await item.waitFor({ timeout: LONG })
    assert.match(await item.innerText(), /^app-dir\s+checked for drift by user:default\/drift-bot/)
  })
})
