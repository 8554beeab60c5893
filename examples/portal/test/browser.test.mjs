// The portal in a real browser (Debian's Chromium, headless, via
// playwright-core), as a new user would use it: on the embedded default store
// in a fresh directory, which the portal fills with the example catalogue on
// first start. Screenshots go to target/portal-screenshots.

import assert from 'node:assert/strict'
import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { after, before, describe, it } from 'node:test'

import { REPO, inAnotherProcess, launchBrowser, postgresDatabase, screenshot, startPortal, workDir } from './harness.mjs'

const LONG = 20000

describe('portal on the embedded default (SQLite)', () => {
  let dir
  let portal
  let browser
  let page
  before(async () => {
    dir = workDir()
    // The example Rego policies review the first import, as ./paved.yaml says:
    // they warn about the deprecated component, and the scorecard's rules
    // (audit mode) record what they find. As examples/policies/paved.yaml,
    // with absolute paths.
    const examples = path.join(REPO, 'examples', 'policies')
    const rego = path.join(examples, 'rego')
    const audit = (name, file) => ({ name, rego: { policies: [path.join(examples, 'scorecard', file)] }, match: { kinds: ['Component'] }, mode: 'audit' })
    writeFileSync(
      path.join(dir, 'paved.yaml'),
      JSON.stringify({
        policies: [
          {
            name: 'catalog-rules',
            rego: { policies: [path.join(rego, 'catalog')], data: [path.join(rego, 'data', 'lifecycles.json')] },
            match: { kinds: ['Component'] },
          },
          audit('component-is-documented', 'documented.rego'),
          audit('component-is-operable', 'operable.rego'),
          // As examples/access/paved.yaml: deleting a production component
          // is held until a platform-team member approves it.
          {
            name: 'production-deletes-need-approval',
            rego: { policies: [path.join(REPO, 'examples', 'access', 'rego', 'production_deletes.rego')] },
            match: { operations: ['entity.delete'], kinds: ['Component'] },
            approval: { approvers: ['group:team-platform'], ttl: '24h' },
          },
        ],
        scorecards: [
          {
            name: 'production-readiness',
            filter: ['kind=component'],
            levels: [
              { name: 'bronze', rules: ['catalog-rules'] },
              { name: 'silver', rules: ['component-is-documented'] },
              { name: 'gold', rules: ['component-is-operable'] },
            ],
          },
        ],
      }),
    )
    portal = await startPortal(dir)
    browser = await launchBrowser()
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
    page.setDefaultTimeout(LONG)
  })
  after(async () => {
    await browser?.close()
    await portal?.stop()
  })

  it('imported the example catalogue on first start', () => {
    assert.match(portal.output(), /imported 55 entities/)
    assert.match(portal.output(), /store sqlite:\.paved\/paved\.db/)
  })

  it('search for an entity and open it', async () => {
    await page.goto(`${portal.url}/`)
    // The feed as first drawn says what happened to what, each item a link.
    const first = page.locator('#feed li').first()
    assert.match(await first.innerText(), /^\S+ (created|updated|reviewed by a policy|imported) by component:default\/portal/)
    assert.equal(await first.locator('a.subject').count(), 1)
    await page.getByLabel('Search', { exact: true }).fill('fraud')
    await page.keyboard.press('Enter')
    await page.waitForURL(/\?q=fraud/)
    const names = await page.locator('table.results tbody tr td:first-child a').allInnerTexts()
    assert.ok(names.includes('Fraud detector'), names.join())
    await screenshot(page, '1-search')
    await page.getByRole('link', { name: 'Fraud detector' }).click()
    await page.waitForURL(/\/catalog\/default\/component\/fraud-detector$/)
    assert.equal(await page.locator('h1').innerText(), 'Fraud detector Component')
    assert.match(await page.locator('.lead').innerText(), /fraud risk/)
    // owner, metadata, relations and recent audit entries are on the page
    assert.equal(await page.locator('dl.about dt', { hasText: 'Owner' }).count(), 1)
    // where it was read from: its file, and the location the import started from
    const source = await page.locator('dl.about dd', { has: page.locator('code.source') }).innerText()
    assert.match(source, /^file:\/.+\/examples\/catalog\/systems\/payments\.yaml \(imported from file:\/.+\/examples\/catalog\/?\)$/)
    assert.ok((await page.locator('table.relations tbody tr').count()) >= 3)
    assert.match(await page.locator('table.history').innerText(), /created\s+component:default\/portal/)
    await screenshot(page, '2-entity')
  })

  it('follow a relation, and back the other way', async () => {
    await page.goto(`${portal.url}/catalog/default/component/fraud-detector`)
    const ownedBy = page.locator('table.relations tr', { hasText: 'Owned by' }).getByRole('link')
    await ownedBy.click()
    await page.waitForURL(/\/catalog\/default\/group\/team-payments$/)
    assert.match(await page.locator('h1').innerText(), /^Payments/)
    // the group page lists what the group owns
    const owned = page.locator('section[aria-labelledby="owned-title"]')
    assert.match(await owned.locator('h2').innerText(), /Owns \(11\)/)
    assert.equal(await owned.getByRole('link', { name: 'Fraud detector' }).count(), 1)
    await screenshot(page, '3-group')
    // the reverse relation leads back
    await page.locator('table.relations tr', { hasText: 'Owner of' }).getByRole('link', { name: 'fraud-detector' }).click()
    await page.waitForURL(/\/component\/fraud-detector$/)
  })

  it('filter by owner', async () => {
    await page.goto(`${portal.url}/`)
    await page.getByLabel('Owner').selectOption({ label: 'team-logistics (12)' })
    await page.getByRole('button', { name: 'Apply filters' }).click()
    await page.waitForURL(/owner=group%3Adefault%2Fteam-logistics/)
    assert.match(await page.locator('#results-title').innerText(), /of 12$/)
    const owners = await page.locator('table.results tbody tr td:nth-child(4)').allInnerTexts()
    assert.equal(owners.length, 12)
    assert.ok(owners.every((o) => o === 'team-logistics'), owners.join())
    // the other facets now count only this owner's entities
    const kinds = await page.getByLabel('Kind').locator('option').allInnerTexts()
    assert.ok(kinds.includes('Component (4)') || kinds.some((k) => /^Component \(\d+\)$/.test(k)), kinds.join())
    await screenshot(page, '4-owner-filter')
    // an owner the facet's most frequent values leave out stays chosen
    await page.goto(`${portal.url}/?owner=group%3Adefault%2Fteam-nobody`)
    assert.equal(await page.getByLabel('Owner').inputValue(), 'group:default/team-nobody')
    assert.equal(await page.locator('#results-title').innerText(), 'No entities found')
  })

  it('pages through the catalogue', async () => {
    await page.goto(`${portal.url}/?limit=25`)
    assert.match(await page.locator('#results-title').innerText(), /Entities 1–25 of 55/)
    await page.getByRole('link', { name: 'Next page' }).click()
    assert.match(await page.locator('#results-title').innerText(), /Entities 26–50 of 55/)
    await page.getByRole('link', { name: 'Next page' }).click()
    assert.match(await page.locator('#results-title').innerText(), /Entities 51–55 of 55/)
    assert.equal(await page.getByRole('link', { name: 'Next page' }).count(), 0)
  })

  it('is usable from the keyboard: skip link, search, open a result', async () => {
    await page.goto(`${portal.url}/`)
    await page.keyboard.press('Tab')
    assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Skip to content')
    await page.keyboard.press('Enter')
    assert.equal(await page.evaluate(() => document.activeElement.id), 'main')
    await page.locator('#q').focus()
    await page.keyboard.type('checkout service')
    await page.keyboard.press('Enter')
    await page.waitForURL(/q=checkout/)
    await page.getByRole('link', { name: 'Checkout service' }).focus()
    await page.keyboard.press('Enter')
    await page.waitForURL(/\/component\/checkout-service$/)
  })

  it('shows a change made by another process in the live feed', async () => {
    await page.goto(`${portal.url}/`)
    await page.waitForFunction(() => document.documentElement.getAttribute('data-feed') === 'live')
    await inAnotherProcess(
      `sqlite:${path.join(dir, '.paved', 'paved.db')}`,
      `const p = await open({ store })
await p.catalog.upsert({ apiVersion: 'backstage.io/v1alpha1', kind: 'Component',
  metadata: { name: 'made-elsewhere', description: 'Written by another process' },
  spec: { type: 'service', lifecycle: 'experimental', owner: 'team-platform' } }, { actor: 'user:default/ci-bot' })`,
    )
    const item = page.locator('#feed li', { hasText: 'made-elsewhere' })
    await item.waitFor({ timeout: LONG })
    assert.match(await item.innerText(), /made-elsewhere\s+created by user:default\/ci-bot/)
    await screenshot(page, '5-feed')
    await item.getByRole('link', { name: 'made-elsewhere' }).click()
    assert.match(await page.locator('.lead').innerText(), /Written by another process/)
  })

  it("draws an entity's neighbourhood as a graph, each node a link", async () => {
    await page.goto(`${portal.url}/catalog/default/component/fraud-detector`)
    const graph = page.locator('svg.graph')
    assert.equal(await graph.locator('.node.root[data-ref="component:default/fraud-detector"]').count(), 1)
    const oneHop = await graph.locator('.node').count()
    assert.ok(oneHop >= 3, `${oneHop} nodes`)
    assert.ok((await graph.locator('line').count()) >= oneHop - 1)
    await screenshot(page, '2b-graph')
    // Two hops reach further.
    await page.locator('.graph-options select[name="depth"]').selectOption('2')
    await page.locator('.graph-options button').click()
    await page.waitForURL(/depth=2/)
    assert.ok((await page.locator('svg.graph .node').count()) > oneHop)
    // A node is a link to its entity.
    await page.locator('svg.graph a[aria-label="team-payments"]').click()
    await page.waitForURL(/\/catalog\/default\/group\/team-payments/)
    assert.equal(await page.locator('svg.graph .node.root[data-ref="group:default/team-payments"]').count(), 1)
  })

  it("shows an entity's policy decisions and explains one", async () => {
    await page.goto(`${portal.url}/catalog/default/component/stock-sync`)
    const row = page.locator('table.decisions tbody tr', { hasText: 'catalog-rules' })
    assert.match(await row.innerText(), /warn\s+entity\.create\s+component:default\/portal/)
    await row.getByRole('link').click()
    await page.waitForURL(/\/decisions\/\d+$/)
    assert.match(await page.locator('h1').innerText(), /^Policy decision #\d+ warn/)
    const explanation = await page.locator('pre.explanation').innerText()
    assert.match(explanation, /Policy 'catalog-rules' warned about entity\.create of component:default\/stock-sync/)
    assert.match(explanation, /Component stock-sync is deprecated/)
    // Which code decided: the Rego policy's modules and data, by digest.
    assert.match(explanation, /The guardrail's code: sha256:[0-9a-f]{64}\./)
    assert.match(await page.locator('dl.about').innerText(), /Guardrail code\s+sha256:[0-9a-f]{64}/)
    await screenshot(page, '6-decision')
    await page.goto(`${portal.url}/catalog/default/component/web-shop`)
    assert.match(await page.locator('main').innerText(), /No policy has remarked on web-shop/)
  })

  it("shows a Policy entity's decisions, linked both ways", async () => {
    const examples = path.join(REPO, 'examples', 'policies', 'catalog')
    await inAnotherProcess(
      `sqlite:${path.join(dir, '.paved', 'paved.db')}`,
      `const p = await open({ store })
await p.catalog.import([${JSON.stringify(examples)}], { actor: 'user:default/ci-bot' })
await p.catalog.upsert({ apiVersion: 'backstage.io/v1alpha1', kind: 'Component', metadata: { name: 'untiered' },
  spec: { type: 'service', lifecycle: 'experimental', owner: 'team-platform' } }, { actor: 'user:default/ci-bot' })`,
    )
    await page.goto(`${portal.url}/catalog/default/component/untiered`)
    const row = page.locator('table.decisions tbody tr', { hasText: 'components-have-a-tier' })
    assert.match(await row.innerText(), /deny \(warn mode\)\s+entity\.create\s+user:default\/ci-bot/)
    await row.getByRole('link', { name: 'components-have-a-tier' }).click()
    await page.waitForURL(/\/catalog\/default\/policy\/components-have-a-tier$/)
    assert.match(await page.locator('.lead').innerText(), /routed by tier/)
    const made = page.locator('table.made tbody tr', { hasText: 'untiered' })
    assert.match(await made.innerText(), /deny \(warn mode\)\s+entity\.create/)
    await screenshot(page, '6b-policy-entity')
    await made.getByRole('link', { name: 'untiered' }).click()
    await page.waitForURL(/\/catalog\/default\/component\/untiered$/)
    // The later tests' writes are not this policy's business.
    await inAnotherProcess(
      `sqlite:${path.join(dir, '.paved', 'paved.db')}`,
      `const p = await open({ store })
await p.catalog.delete('policy:default/components-have-a-tier', { actor: 'user:default/ci-bot' })`,
    )
  })

  it("shows an entity's scorecard and a team's recorded trend", async () => {
    await page.goto(`${portal.url}/catalog/default/component/checkout-service`)
    const card = page.locator('.scorecard[data-scorecard="production-readiness"]')
    assert.equal(await card.locator('h3').innerText(), 'production-readiness: silver')
    assert.match(await card.innerText(), /2 of 3 rules pass \(66%\)\. Next level: gold\./)
    const failed = card.locator('table.rules tr.failed')
    assert.equal(await failed.count(), 1)
    assert.match(await failed.innerText(), /gold\s+component-is-operable[\s\S]*fail[\s\S]*has no links/)
    await screenshot(page, '7-scorecard')

    const team = `${portal.url}/catalog/default/group/team-payments`
    await page.goto(team)
    const summary = page.locator('.team-scorecard[data-scorecard="production-readiness"]')
    assert.match(await summary.innerText(), /4 entities: 0 at no level yet, 3 bronze, 1 silver, 0 gold/)
    assert.match(await summary.innerText(), /No scores recorded yet/)
    await inAnotherProcess(
      `sqlite:${path.join(dir, '.paved', 'paved.db')}`,
      `const p = await open({ store, config: ${JSON.stringify(path.join(dir, 'paved.yaml'))} })
await p.scorecards.record({ actor: 'user:default/ci-bot' })`,
    )
    await page.goto(team)
    const trend = summary.locator('table.trend tbody tr')
    assert.equal(await trend.count(), 1)
    assert.match(await trend.innerText(), /\s0\s+3\s+1\s+0\s+41%/)
    await screenshot(page, '8-team-scorecard')
  })

  /** A team-payments member deletes `ref` from another process: held for approval; its id. */
  async function heldDelete(ref) {
    const out = await inAnotherProcess(
      `sqlite:${path.join(dir, '.paved', 'paved.db')}`,
      `const p = await open({ store, config: ${JSON.stringify(path.join(dir, 'paved.yaml'))} })
try {
  await p.catalog.delete(${JSON.stringify(ref)}, { actor: 'user:default/diego.ramirez' })
} catch (e) {
  if (e.code !== 'PENDING_APPROVAL') throw e
  process.stdout.write(e.details.approval)
}`,
    )
    const id = out.trim()
    assert.match(id, /^[0-9a-f]{12}$/, `not held: ${out}`)
    return id
  }

  it('lets a platform-team member approve a held delete, and not its requester', async () => {
    const id = await heldDelete('component:default/payment-gateway')

    // The requester sees the request, and cannot approve it.
    const diego = await browser.newContext({ extraHTTPHeaders: { 'x-forwarded-user': 'diego.ramirez' }, viewport: { width: 1280, height: 900 } })
    const mine = await diego.newPage()
    mine.setDefaultTimeout(LONG)
    await mine.goto(`${portal.url}/`)
    await mine.getByRole('link', { name: 'Approvals' }).click()
    const row = mine.locator(`tr[data-approval="${id}"]`)
    assert.match(await row.innerText(), /payment-gateway deleted\s+user:default\/diego\.ramirez\s+waiting for approval\s+group:default\/team-platform/)
    await row.getByRole('link', { name: id }).click()
    await mine.waitForURL(new RegExp(`/approvals/${id}$`))
    assert.match(await mine.locator('table.required').innerText(), /production-deletes-need-approval[\s\S]*payment-gateway runs in production/)
    await mine.getByRole('button', { name: 'Approve' }).click()
    const refused = mine.locator('.notice.refused')
    await refused.waitFor()
    assert.match(await refused.innerText(), /asked for this change and cannot approve it/)
    await screenshot(mine, '9-approval-refused')
    await diego.close()

    // A member of the platform team approves: the delete is written.
    const ivan = await browser.newContext({ extraHTTPHeaders: { 'x-forwarded-user': 'ivan.petrov' }, viewport: { width: 1280, height: 900 } })
    const theirs = await ivan.newPage()
    theirs.setDefaultTimeout(LONG)
    await theirs.goto(`${portal.url}/approvals/${id}`)
    assert.match(await theirs.locator('.hint').first().innerText(), /Signed in as user:default\/ivan\.petrov/)
    await theirs.getByLabel('Comment (optional)').fill('retired in CHG-1234')
    await theirs.getByRole('button', { name: 'Approve' }).click()
    await theirs.waitForURL(new RegExp(`/approvals/${id}\\?done=approved$`))
    assert.match(await theirs.locator('.notice.ok').innerText(), /You approved this request/)
    assert.match(await theirs.locator('h1').innerText(), /approved and applied/)
    assert.match(await theirs.locator('.comment').innerText(), /retired in CHG-1234/)
    await screenshot(theirs, '10-approval-applied')
    const gone = await theirs.goto(`${portal.url}/catalog/default/component/payment-gateway`)
    assert.equal(gone.status(), 404)
    await theirs.goto(`${portal.url}/approvals`)
    assert.match(await theirs.locator('main').innerText(), /No pending requests/)

    // Another held delete, rejected with a reason: nothing is written.
    const second = await heldDelete('component:default/checkout-service')
    await theirs.goto(`${portal.url}/approvals/${second}`)
    await theirs.getByLabel('Reason (optional)').fill('checkout still calls it')
    await theirs.getByRole('button', { name: 'Reject' }).click()
    await theirs.waitForURL(new RegExp(`/approvals/${second}\\?done=rejected$`))
    assert.match(await theirs.locator('.notice.ok').innerText(), /You rejected this request/)
    assert.match(await theirs.locator('h1').innerText(), /rejected/)
    assert.match(await theirs.locator('main').innerText(), /checkout still calls it/)
    const kept = await theirs.goto(`${portal.url}/catalog/default/component/checkout-service`)
    assert.equal(kept.status(), 200, 'a rejected delete was written')
    await theirs.goto(`${portal.url}/approvals`)
    assert.match(await theirs.locator('main').innerText(), /No pending requests/)
    await ivan.close()
  })

  it('lists what each location refused, refreshes them, and an entity says when its location was read', async () => {
    // Another team's files, imported from another process: one passes, one is refused.
    const files = path.join(dir, 'team-files')
    mkdirSync(files)
    const component = (name, lifecycle) =>
      `apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: ${name}\nspec:\n  type: service\n  lifecycle: ${lifecycle}\n  owner: team-platform\n`
    writeFileSync(path.join(files, 'good.yaml'), component('good-one', 'production'))
    writeFileSync(path.join(files, 'broken.yaml'), component('broken-one', '[42]'))
    await inAnotherProcess(
      `sqlite:${path.join(dir, '.paved', 'paved.db')}`,
      `const p = await open({ store })
await p.catalog.import([${JSON.stringify(files)}], { actor: 'user:default/ci-bot' })`,
    )
    await page.goto(`${portal.url}/`)
    await page.getByRole('link', { name: 'Locations' }).click()
    await page.waitForURL(/\/locations$/)
    assert.match(await page.locator('.lead').innerText(), /1 refused entity across 2 locations/)
    const team = page.locator('section.location', { hasText: 'team-files' })
    assert.match(await team.locator('.last-read').innerText(), /^imported .* by user:default\/ci-bot: 1 created, 1 refused$/)
    const row = await team.locator('table.refused tbody tr').innerText()
    assert.match(row, /component:default\/broken-one/)
    assert.match(row, /broken\.yaml:7:3/)
    assert.match(row, /spec\.lifecycle/)
    await screenshot(page, '11-locations')

    // Fixed in its file and refreshed from the page: nothing refused any more.
    writeFileSync(path.join(files, 'broken.yaml'), component('broken-one', 'production'))
    await page.getByRole('button', { name: 'Refresh now' }).click()
    await page.waitForURL(/\/locations\?done=refreshed$/)
    assert.match(await page.locator('.notice').innerText(), /Refreshed every location/)
    assert.match(await team.locator('.last-read').innerText(), /^refreshed .*: 1 created, 1 unchanged$/)
    assert.equal(await team.locator('table.refused').count(), 0)

    // An entity's page says when its location was last read, linking here.
    await page.goto(`${portal.url}/catalog/default/component/broken-one`)
    const lastRead = page.locator('dl.about a.last-read')
    assert.match(await lastRead.innerText(), /^refreshed /)
    await lastRead.click()
    await page.waitForURL(/\/locations$/)
  })

  it('says clearly when an entity does not exist', async () => {
    const res = await page.goto(`${portal.url}/catalog/default/component/no-such-thing`)
    assert.equal(res.status(), 404)
    assert.match(await page.locator('main').innerText(), /component:default\/no-such-thing is not in the catalogue/)
  })
})

describe('portal on PostgreSQL: the feed follows other processes by events alone', () => {
  let db
  let portal
  let browser
  before(async () => {
    db = postgresDatabase()
    // --poll-ms 0: no audit-log polling, so only LISTEN/NOTIFY events can bring the change
    portal = await startPortal(workDir(), ['--store', db.url, '--poll-ms', '0'])
    browser = await launchBrowser()
  })
  after(async () => {
    await browser?.close()
    await portal?.stop()
    db?.drop()
  })

  it('shows a change made by another process', async () => {
    const page = await browser.newPage()
    page.setDefaultTimeout(LONG)
    await page.goto(`${portal.url}/changes`)
    await page.waitForFunction(() => document.documentElement.getAttribute('data-feed') === 'live')
    await inAnotherProcess(
      db.url,
      `const p = await open({ store })
await p.catalog.upsert({ apiVersion: 'backstage.io/v1alpha1', kind: 'Group',
  metadata: { name: 'team-from-elsewhere' }, spec: { type: 'team', children: [] } }, { actor: 'user:default/pg-bot' })`,
    )
    const item = page.locator('#feed li', { hasText: 'team-from-elsewhere' })
    await item.waitFor({ timeout: LONG })
    assert.match(await item.innerText(), /created by user:default\/pg-bot/)
    await screenshot(page, '6-feed-postgres')
  })
})
