// An entity's page: what it is, who owns it, where it was read from (its
// managed-by-location) and when its location was last read, its links, its scorecards (its
// level, the next one, and what to fix), its relations in both directions
// (each a link) and drawn as a graph (graph-picture.mjs), recent audit
// entries, the policy decisions made on it (each
// linking to its explanation, and to the policy when it is a Policy entity),
// for a Policy the decisions it made, for a group what it owns, who is
// in it, and the team's scores with their recorded trend, and for a Resource
// its provisioning: state, outputs (sensitive ones never revealed), history
// and a plan preview (resources-page.mjs).

import { html } from './html.mjs'
import { actionLabel, layout, shortTime } from './layout.mjs'
import { graphOptions, graphSection } from './graph-picture.mjs'
import { entityPath, parseRef, refLabel, relationLabel } from './refs.mjs'
import { lastReadLine } from './locations-page.mjs'
import { loadProvisioning, provisioningSection } from './resources-page.mjs'

/** How many owned entities a group page lists per page. */
export const OWNED_PAGE = 50
/**
 * Relations the table lists at most: a team's thousands of `ownerOf` are
 * paged in "Owns" instead, and a page's cost stays bounded by what it shows.
 */
export const RELATIONS_SHOWN = 100

/** A location that is no longer registered (moved, re-imported elsewhere) is not shown. */
function notFoundAsNull(err) {
  if (err && err.code === 'NOT_FOUND') return null
  throw err
}

/** Fetch what the page shows. Throws the engine's NOT_FOUND when missing. */
export async function loadEntity(platform, ref, url) {
  const entity = await platform.catalog.get(ref)
  const fullRef = `${entity.kind.toLowerCase()}:${entity.metadata.namespace || 'default'}/${entity.metadata.name}`
  const audit = platform.audit.forEntity(fullRef, { limit: 10 })
  const decisions = platform.policies.decisions({ subject: fullRef, limit: 10 })
  const scores = platform.scorecards.score(fullRef)
  const graph = platform.catalog.graph(fullRef, graphOptions(url))
  const made = entity.kind === 'Policy' ? platform.policies.decisions({ policy: fullRef, limit: 10 }) : null
  const provisioning = entity.kind.toLowerCase() === 'resource' ? loadProvisioning(platform, fullRef) : null
  const origin = (entity.metadata.annotations || {})['backstage.io/managed-by-origin-location']
  const location = origin ? platform.catalog.location(origin).catch(notFoundAsNull) : null
  let owned = null
  let team = null
  if (entity.kind.toLowerCase() === 'group') {
    team = Promise.all([platform.scorecards.team(fullRef), platform.scorecards.history(fullRef, { limit: 10 })])
  }
  if (entity.kind.toLowerCase() === 'group' || entity.kind.toLowerCase() === 'user') {
    owned = platform.catalog.query({
      filter: `relations.ownedBy=${fullRef}`,
      fields: ['kind', 'metadata.name', 'metadata.namespace', 'metadata.title', 'spec.type', 'spec.lifecycle'],
      order: ['kind', 'metadata.name'],
      limit: OWNED_PAGE,
      cursor: url.searchParams.get('owned') || undefined,
    })
  }
  return {
    entity,
    ref: fullRef,
    audit: await audit,
    decisions: await decisions,
    made: made && (await made),
    provisioning: provisioning && (await provisioning),
    location: location && (await location),
    graph: await graph,
    scores: await scores,
    team: team && (await team),
    owned: owned && (await owned),
  }
}

const RULE_STATUS = { passed: 'pass', failed: 'fail', 'not-applicable': 'does not apply' }

/** An entity's scores: each scorecard's level, the next one, and each rule with what to fix. */
function scorecardSection(scores) {
  if (!scores.length) return ''
  return html`<section aria-labelledby="scorecards-title">
<h2 id="scorecards-title">Scorecards</h2>
${scores.map(
  (s) => html`<div class="scorecard" data-scorecard="${s.scorecard}">
<h3>${s.scorecard}: <span class="level">${s.level || 'no level yet'}</span></h3>
<p>${s.passed} of ${s.applicable} rules pass (${s.percent}%)${s.nextLevel ? html`. Next level: <strong>${s.nextLevel}</strong>.` : '. The top level: nothing left to do.'}</p>
<table class="rules"><thead><tr><th scope="col">Level</th><th scope="col">Rule</th><th scope="col">Result</th><th scope="col">What to fix</th></tr></thead><tbody>
${s.rules.map(
  (r) => html`<tr class="${r.status}"><td>${r.level}</td><td>${r.policy}${r.description ? html`<br><span class="hint">${r.description}</span>` : ''}</td><td>${RULE_STATUS[r.status] || r.status}</td><td>${
    r.status === 'failed'
      ? html`<ul>${(r.violations || []).map((v) => html`<li>${v.path ? html`<code>${v.path}</code>: ` : ''}${v.message}</li>`)}${r.failure ? html`<li>the guardrail failed: ${r.failure}</li>` : ''}</ul>`
      : ''
  }</td></tr>`,
)}
</tbody></table>
</div>`,
)}
</section>`
}

/** A team's scores now (entities per level) and as recorded over time. */
function teamSection([scores, history]) {
  if (!scores.length) return ''
  return html`<section aria-labelledby="team-scores-title">
<h2 id="team-scores-title">Team scorecards</h2>
${scores.map(
  (t) => html`<div class="team-scorecard" data-scorecard="${t.scorecard}">
<h3>${t.scorecard}</h3>
<p>${t.entities} entities: ${t.below} at no level yet, ${t.levels.map((l, i) => html`${i ? ', ' : ''}${l.entities} ${l.level}`)}; ${t.passed} of ${t.applicable} rules pass (${t.percent}%).</p>
${
  history.some((h) => h.scorecard === t.scorecard)
    ? html`<table class="trend"><caption>Recorded scores, newest first</caption><thead><tr><th scope="col">When</th><th scope="col">No level</th>${t.levels.map((l) => html`<th scope="col">${l.level}</th>`)}<th scope="col">Rules passed</th></tr></thead><tbody>
${history
  .filter((h) => h.scorecard === t.scorecard)
  .map((h) => html`<tr><td><time datetime="${h.at}">${shortTime(h.at)}</time></td><td>${h.below}</td>${h.levels.map((l) => html`<td>${l.entities}</td>`)}<td>${h.percent}%</td></tr>`)}
</tbody></table>`
    : html`<p>No scores recorded yet (<code>paved scorecard record</code> records them).</p>`
}
</div>`,
)}
</section>`
}

function dl(rows) {
  return html`<dl class="about">${rows
    .filter(([, v]) => v !== undefined && v !== null && v !== '' && !(Array.isArray(v) && v.length === 0))
    .map(([k, v]) => html`<dt>${k}</dt><dd>${v}</dd>`)}</dl>`
}

function relationsOf(entity, type) {
  return (entity.relations || []).filter((r) => r.type === type).map((r) => r.targetRef)
}

function refLink(ref) {
  return html`<a href="${entityPath(ref)}">${refLabel(ref)}</a>`
}

/** Render an entity page. */
export function entityPage({ entity, ref, audit, decisions, made, graph, scores, team, owned, provisioning, location }, url, feed) {
  const md = entity.metadata
  const spec = entity.spec || {}
  const owners = relationsOf(entity, 'ownedBy')
  const kind = entity.kind.toLowerCase()
  const isGroup = kind === 'group'
  const allRelations = entity.relations || []
  const relations = [...allRelations]
    .sort((a, b) => relationLabel(a.type).localeCompare(relationLabel(b.type)) || a.targetRef.localeCompare(b.targetRef))
    .slice(0, RELATIONS_SHOWN)
  const listKeyValues = (obj) =>
    obj && Object.keys(obj).length
      ? html`<ul class="kv">${Object.entries(obj).map(([k, v]) => html`<li><code>${k}</code>: ${v}</li>`)}</ul>`
      : undefined
  const body = html`
<nav aria-label="Breadcrumb" class="crumbs"><a href="/">Catalogue</a> › <a href="/?kind=${kind}">${entity.kind}</a> › <span aria-current="page">${md.name}</span></nav>
<h1>${md.title || md.name} <span class="badge">${entity.kind}</span></h1>
${md.description ? html`<p class="lead">${md.description}</p>` : ''}

<section aria-labelledby="about-title">
<h2 id="about-title">About</h2>
${dl([
  ['Ref', html`<code>${ref}</code>`],
  ['Owner', owners.length ? owners.map((o, i) => html`${i ? ', ' : ''}${refLink(o)}`) : undefined],
  ['Type', spec.type],
  ['Lifecycle', spec.lifecycle],
  ['Part of', relationsOf(entity, 'partOf').length ? relationsOf(entity, 'partOf').map((o, i) => html`${i ? ', ' : ''}${refLink(o)}`) : undefined],
  ['Tags', (md.tags || []).length ? (md.tags || []).map((t) => html`<a class="tag" href="/?tag=${encodeURIComponent(t)}">${t}</a> `) : undefined],
  ['Labels', listKeyValues(md.labels)],
  ['Source', sourceOf(md.annotations || {})],
  ['Last read', location ? html`<a href="/locations" class="last-read">${lastReadLine(location.lastRead)}</a>` : undefined],
  ['Made by', madeBy(md.annotations || {})],
  ['Annotations', listKeyValues(md.annotations)],
  ['Email', spec.profile && spec.profile.email ? html`<a href="mailto:${spec.profile.email}">${spec.profile.email}</a>` : undefined],
])}
</section>

${provisioning ? provisioningSection(provisioning) : ''}

${scorecardSection(scores)}

${team ? teamSection(team) : ''}

${
  (md.links || []).length
    ? html`<section aria-labelledby="links-title">
<h2 id="links-title">Links</h2>
<ul class="links">${md.links.map((l) => html`<li><a href="${safeUrl(l.url)}" rel="noopener noreferrer">${l.title || l.url}</a>${l.type ? html` <span class="hint">(${l.type})</span>` : ''}</li>`)}</ul>
</section>`
    : ''
}

${
  isGroup || kind === 'user'
    ? html`<section aria-labelledby="owned-title">
<h2 id="owned-title">Owns${owned ? html` (${owned.total})` : ''}</h2>
${
  owned && owned.items.length
    ? html`<table class="results"><thead><tr><th scope="col">Name</th><th scope="col">Kind</th><th scope="col">Type</th><th scope="col">Lifecycle</th></tr></thead><tbody>
${owned.items.map((e) => {
  const r = `${e.kind.toLowerCase()}:${e.metadata.namespace || 'default'}/${e.metadata.name}`
  return html`<tr><td><a href="${entityPath(r)}">${e.metadata.title || e.metadata.name}</a></td><td>${e.kind}</td><td>${(e.spec || {}).type || ''}</td><td>${(e.spec || {}).lifecycle || ''}</td></tr>`
})}
</tbody></table>
${owned.nextCursor ? html`<p><a href="${url.pathname}?owned=${encodeURIComponent(owned.nextCursor)}">More owned entities</a></p>` : ''}`
    : html`<p>Owns nothing in the catalogue.</p>`
}
</section>`
    : ''
}

${
  isGroup
    ? html`<section aria-labelledby="members-title">
<h2 id="members-title">Members</h2>
${
  relationsOf(entity, 'hasMember').length
    ? html`<ul class="members">${relationsOf(entity, 'hasMember').map((m) => html`<li>${refLink(m)}</li>`)}</ul>`
    : html`<p>No members.</p>`
}
</section>`
    : ''
}

${graphSection(graph, url)}

<section aria-labelledby="relations-title">
<h2 id="relations-title">Relations</h2>
${
  relations.length
    ? html`<table class="relations"><thead><tr><th scope="col">Relation</th><th scope="col">Entity</th></tr></thead><tbody>
${relations.map((r) => html`<tr><td>${relationLabel(r.type)}</td><td>${refLink(r.targetRef)} <span class="hint">${r.targetRef.split(':')[0]}</span></td></tr>`)}
</tbody></table>
${allRelations.length > relations.length ? html`<p class="hint relations-cut">Showing ${relations.length} of ${allRelations.length} relations${isGroup || kind === 'user' ? html`; every owned entity is listed, page by page, under <a href="#owned-title">Owns</a>` : ''}.</p>` : ''}`
    : html`<p>No relations.</p>`
}
</section>

<section aria-labelledby="history-title">
<h2 id="history-title">Recent changes to ${md.name}</h2>
${
  audit.length
    ? html`<table class="history"><thead><tr><th scope="col">When</th><th scope="col">What</th><th scope="col">Who</th></tr></thead><tbody>
${audit.map((r) => html`<tr><td><time datetime="${r.at}">${shortTime(r.at)}</time></td><td>${actionLabel(r.action)}</td><td>${r.actor}</td></tr>`)}
</tbody></table>`
    : html`<p>No recorded changes.</p>`
}
</section>

<section aria-labelledby="decisions-title">
<h2 id="decisions-title">Policy decisions</h2>
${
  decisions.length
    ? html`<table class="decisions"><thead><tr><th scope="col">Decision</th><th scope="col">Policy</th><th scope="col">Verdict</th><th scope="col">What</th><th scope="col">Who</th></tr></thead><tbody>
${decisions.map((d) => html`<tr><td><a href="/decisions/${d.id}">#${d.id}</a></td><td>${policyLink(d.policy)}</td><td>${verdictLabel(d)}</td><td>${d.point}</td><td>${d.actor}</td></tr>`)}
</tbody></table>`
    : html`<p>No policy has remarked on ${md.name}.</p>`
}
</section>
${made ? madeSection(made) : ''}`
  return layout({ title: md.title || md.name, current: 'catalogue', body, feed })
}

/**
 * Where an imported entity is read from (Backstage's managed-by-location
 * annotation), and the location its import started from when that differs.
 */
function sourceOf(annotations) {
  const at = annotations['backstage.io/managed-by-location']
  if (!at) return undefined
  const origin = annotations['backstage.io/managed-by-origin-location']
  return html`<code class="source">${at}</code>${origin && origin !== at ? html` <span class="hint">(imported from <code>${origin}</code>)</span>` : ''}`
}

/**
 * The golden-path run that made the entity (its provenance annotations):
 * the run's page, and the Template's.
 */
function madeBy(annotations) {
  const run = annotations['paved.dev/run']
  if (!run || !/^[0-9a-z]+$/.test(run)) return undefined
  const template = annotations['paved.dev/template']
  const t = template && parseRef(template)
  return html`<a href="/paths/runs/${run}" class="made-by-run">run <code>${run}</code></a>${
    t ? html` of the golden path <a href="/paths/${encodeURIComponent(t.namespace)}/${encodeURIComponent(t.name)}">${refLabel(template)}</a>` : ''
  }`
}

/** A policy's name; a Policy entity's (`policy:ns/name`) links to its page. */
function policyLink(policy) {
  return policy.startsWith('policy:') ? html`<a href="${entityPath(policy)}">${refLabel(policy)}</a>` : policy
}

/** A Policy entity's own decisions: what it said about which change. */
function madeSection(made) {
  return html`<section aria-labelledby="made-title">
<h2 id="made-title">Decisions this policy made</h2>
${
  made.length
    ? html`<table class="made"><thead><tr><th scope="col">Decision</th><th scope="col">About</th><th scope="col">Verdict</th><th scope="col">What</th><th scope="col">Who</th></tr></thead><tbody>
${made.map((d) => html`<tr><td><a href="/decisions/${d.id}">#${d.id}</a></td><td><a href="${entityPath(d.subject)}">${refLabel(d.subject)}</a></td><td>${verdictLabel(d)}</td><td>${d.point}</td><td>${d.actor}</td></tr>`)}
</tbody></table>`
    : html`<p>This policy has not remarked on any change yet.</p>`
}
</section>`
}

/** `deny (blocked)`, `deny (audit mode)`, `warn`, `allow`. */
export function verdictLabel(d) {
  if (d.verdict !== 'deny') return d.verdict
  return d.blocking ? 'deny (blocked)' : `deny (${d.mode} mode)`
}

/** A decision and its explanation: which policy, which fields, what would pass. */
export function decisionPage({ decision, explanation }, feed) {
  const d = decision
  const body = html`
<nav aria-label="Breadcrumb" class="crumbs"><a href="/">Catalogue</a> › <span aria-current="page">Decision #${d.id}</span></nav>
<h1>Policy decision #${d.id} <span class="badge">${verdictLabel(d)}</span></h1>
<pre class="explanation">${explanation}</pre>
<dl class="about">
<dt>Policy</dt><dd>${d.policy} (guardrail ${d.guardrail} ${d.guardrailVersion}, mode ${d.mode})</dd>
${d.guardrailDigest ? html`<dt>Guardrail code</dt><dd><code>${d.guardrailDigest}</code></dd>` : ''}
<dt>On</dt><dd>${d.subject.includes(':') ? refLink(d.subject) : d.subject} (${d.point})</dd>
<dt>Asked by</dt><dd>${d.actor}</dd>
</dl>
${
  d.violations && d.violations.length
    ? html`<table class="violations"><thead><tr><th scope="col">Field</th><th scope="col">What to fix</th></tr></thead><tbody>
${d.violations.map((v) => html`<tr><td><code>${v.path || '(the whole document)'}</code></td><td>${v.message}</td></tr>`)}
</tbody></table>`
    : ''
}`
  return layout({ title: `Policy decision #${d.id}`, body, feed })
}

/** Only http(s) and mailto links are rendered as links. */
function safeUrl(u) {
  return /^(https?:|mailto:)/i.test(u) ? u : '#'
}
