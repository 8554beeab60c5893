// Keeping the catalogue in sync with its locations (issue 12, item 5):
// catalog.refresh(), catalog.locations(), catalog.location() and
// catalog.refreshes() (file watching, an interval), on each store.

import assert from 'node:assert/strict'
import { mkdirSync, realpathSync, unlinkSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { it } from 'node:test'

import { STORES, paved, rejectsWith, scratchDir, within } from './helpers.mjs'

function writeComponent(dir, name, lifecycle = 'production') {
  writeFileSync(
    path.join(dir, `${name}.yaml`),
    `apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: ${name}\nspec:\n  type: service\n  lifecycle: ${lifecycle}\n  owner: team-a\n`,
  )
}

function files() {
  const dir = path.join(scratchDir('paved-node-refresh-'), 'files')
  mkdirSync(dir)
  writeComponent(dir, 'one')
  writeComponent(dir, 'two')
  return dir
}

/** The next `done` event of a refresh stream. */
async function nextDone(events) {
  for (;;) {
    const event = await within(30000, events.recv(), 'a refresh')
    assert.ok(event, 'the stream goes on')
    if (event.event === 'done') return event
  }
}

for (const kind of STORES) {
  it(`refresh() applies what changed and locations() says what it refused, on ${kind.name}`, async () => {
    const store = kind.create()
    try {
      const { catalog } = await paved.open({ store: store.url })
      const dir = files()
      await catalog.import([dir])
      let report = await catalog.refresh()
      assert.equal(report.trigger, 'request')
      assert.equal(report.locations[0].location, `file:${realpathSync(dir)}`)
      assert.equal(report.locations[0].unchanged, 2)

      writeComponent(dir, 'one', '[1]')
      unlinkSync(path.join(dir, 'two.yaml'))
      report = await catalog.refresh(dir, { actor: 'user:default/ada' })
      const [one] = report.locations
      assert.deepEqual(one.orphans, ['component:default/two'])
      assert.deepEqual(one.refused.map((d) => [d.entity, d.path]), [['component:default/one', 'spec.lifecycle']])
      const two = await catalog.get('component:default/two')
      assert.equal(two.metadata.annotations['backstage.io/orphan'], 'true')

      const [listed] = await catalog.locations()
      assert.equal(listed.entities, 2)
      assert.equal(listed.lastRead.action, 'catalog.refresh')
      assert.equal(listed.lastRead.actor, 'user:default/ada')
      assert.deepEqual(await catalog.location(listed.location), listed)

      const err = await rejectsWith(assert, catalog.refresh('/no/such/place'), 'NOT_FOUND')
      assert.match(err.message, /^location '\/no\/such\/place' not found \(import it first/)
      assert.deepEqual(err.details, {
        what: 'location',
        id: '/no/such/place',
        hint: 'import it first: paved catalog import PATH-OR-URL',
      })
      const stream = catalog.refreshes({ interval: '0s' })
      await rejectsWith(assert, stream.recv(), 'VALIDATION')
    } finally {
      store.drop()
    }
  })

  it(`refreshes() follows file changes and an interval, on ${kind.name}`, async () => {
    const store = kind.create()
    try {
      const { catalog } = await paved.open({ store: store.url })
      const dir = files()
      await catalog.import([dir])
      const watching = catalog.refreshes({ watch: true })
      const first = await within(30000, watching.recv(), 'the first refresh')
      assert.equal(first.event, 'location')
      assert.equal((await nextDone(watching)).trigger, 'start')
      writeComponent(dir, 'three')
      const changed = await nextDone(watching)
      assert.equal(changed.trigger, 'files')
      assert.equal(changed.locations[0].created, 1)
      watching.close()
      assert.equal(await watching.recv(), null)

      const triggers = []
      for await (const event of catalog.refreshes({ interval: '1s' })) {
        if (event.event !== 'done') continue
        triggers.push(event.trigger)
        if (triggers.length === 2) break
      }
      assert.deepEqual(triggers, ['start', 'interval'])
    } finally {
      store.drop()
    }
  })
}
