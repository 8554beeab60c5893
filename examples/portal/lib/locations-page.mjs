// The catalogue's locations (/locations): every root an import started from
// (a file, a directory, a URL), how many entities come from it, its last
// import or refresh (when, by whom, what changed), and every entity it
// refused with the file, line, JSON path and reason, so a team sees what
// did not make it into the catalogue and why. "Refresh now" re-reads them
// all as the signed-in user (platform.catalog.refresh).

import { html } from './html.mjs'
import { actionLabel, layout, shortTime } from './layout.mjs'
import { entityPath, refLabel } from './refs.mjs'

/** `file:3:7` of a diagnostic's location, or ''. */
function where(d) {
  const at = d.location
  return at ? `${at.file}:${at.line}:${at.column}` : ''
}

/** `12 created, 3 updated, 40 unchanged`: a read's counts that are not zero. */
export function readSummary(read) {
  const parts = [
    [read.created, 'created'],
    [read.updated, 'updated'],
    [read.unchanged, 'unchanged'],
    [read.deleted, 'deleted'],
    [(read.orphans || []).length, 'orphaned'],
    [(read.refused || []).length, 'refused'],
    [(read.conflicts || []).length, 'in conflict'],
  ].filter(([n]) => n > 0)
  return parts.length ? parts.map(([n, what]) => `${n} ${what}`).join(', ') : 'nothing'
}

/** The last read of a location, in one line. */
export function lastReadLine(read) {
  if (!read) return 'not read since paved recorded reads'
  return `${actionLabel(read.action)} ${shortTime(read.at)} by ${read.actor}: ${read.error ? read.error : readSummary(read)}`
}

function problemsTable(caption, list) {
  if (!list.length) return ''
  return html`<table class="refused"><caption>${caption}</caption>
<thead><tr><th scope="col">Entity</th><th scope="col">Where</th><th scope="col">Field</th><th scope="col">Why</th></tr></thead><tbody>
${list.map((d) => html`<tr><td>${d.entity ? html`<code>${d.entity}</code>` : '—'}</td><td><code>${where(d)}</code></td><td>${d.path ? html`<code>${d.path}</code>` : ''}</td><td>${d.message}</td></tr>`)}
</tbody></table>`
}

function locationSection(l, i) {
  const read = l.lastRead
  const refused = read ? read.refused || [] : []
  const conflicts = read ? read.conflicts || [] : []
  const orphans = read ? read.orphans || [] : []
  return html`<section class="location" id="location-${i}" aria-labelledby="location-${i}-title">
<h2 id="location-${i}-title"><code>${l.location}</code></h2>
<p>${l.entities} entit${l.entities === 1 ? 'y' : 'ies'} from this location. Last read: <span class="last-read${read && read.error ? ' failed' : ''}">${lastReadLine(read)}</span></p>
${problemsTable(`Refused (${refused.length}): not in the catalogue until fixed`, refused)}
${problemsTable(`In conflict (${conflicts.length}): another location provides them`, conflicts)}
${orphans.length ? html`<p>No longer in this location (orphaned): ${orphans.map((o, n) => html`${n ? ', ' : ''}<a href="${entityPath(o)}">${refLabel(o)}</a>`)}</p>` : ''}
</section>`
}

/** The /locations page; `notice` says how a refresh went. */
export function locationsPage(locations, notice, feed) {
  const refused = locations.reduce((n, l) => n + ((l.lastRead && l.lastRead.refused) || []).length, 0)
  const body = html`<h1>Locations</h1>
<p class="lead">Where the catalogue is read from, and what did not make it in: ${refused} refused entit${refused === 1 ? 'y' : 'ies'} across ${locations.length} location${locations.length === 1 ? '' : 's'}.</p>
${notice ? html`<p class="notice ${notice.ok ? 'ok' : 'error'}" role="status">${notice.text}</p>` : ''}
<form method="post" action="/locations/refresh"><button type="submit">Refresh now</button></form>
${locations.length ? locations.map(locationSection) : html`<p>Nothing has been imported yet.</p>`}`
  return layout({ title: 'Locations', current: 'locations', body, feed })
}
