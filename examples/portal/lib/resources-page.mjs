// Resources: the /resources page (every resource, grouped by the team that
// owns it, or one team's with ?owner=group:default/team-a) and the
// "Provisioning" section of a Resource entity's page (its state, outputs,
// history, and a plan preview). Everything comes from platform.resources:
// list() (each resource's last drift check and lease), state(), history(), and
// plan([ref]), which only reads (the provider's plan and the policies'
// review; nothing is written). Outputs are shown as state() gives them:
// sensitive ones read "(sensitive)", and the portal never asks to reveal
// them.

import { PavedError } from 'paved'

import { html } from './html.mjs'
import { layout, shortTime } from './layout.mjs'
import { entityPath, refLabel } from './refs.mjs'

/** What a plan's action shows (core's `Action::sign`). */
export const SIGNS = { create: '+', update: '~', replace: '-/+', delete: '-', forget: '~-', 'no-op': ' ' }

const STATUS_LABELS = {
  managed: 'managed',
  observed: 'observed',
  destroyed: 'destroyed',
  forgotten: 'forgotten (let go)',
}

/** A summary's status in words: its state's, or why it has none. */
function statusOf(r) {
  if (r.status) return STATUS_LABELS[r.status] || r.status
  return r.managed ? 'not applied yet' : 'observed only, not imported'
}

/** `?owner=` as a group ref (a bare name means `group:default/<name>`), or null. */
export function readOwner(url) {
  const owner = (url.searchParams.get('owner') || '').trim()
  if (!owner) return null
  return owner.includes(':') ? owner : `group:default/${owner}`
}

/**
 * Every resource (or one team's), each with its lease and last drift check:
 * one list() call, however many resources there are.
 */
export async function loadResources(platform, owner) {
  const all = await platform.resources.list()
  const owners = [...new Set(all.map((r) => r.owner || ''))].sort()
  const resources = owner ? all.filter((r) => (r.owner || '') === owner) : all
  return { owners, resources }
}

/** A resource's state, or null when it has none yet. */
async function stateOrNull(platform, ref) {
  try {
    return await platform.resources.state(ref)
  } catch (err) {
    if (err instanceof PavedError && err.code === 'NOT_FOUND') return null
    throw err
  }
}

function refLink(ref) {
  return html`<a href="${entityPath(ref)}">${refLabel(ref)}</a>`
}

/** The last drift check: its status, the paths that changed, and when. */
function driftCell(drift) {
  if (!drift) return html`<span class="hint">never checked</span>`
  const changes = drift.changes || []
  return html`<span class="drift drift-${drift.status}">${drift.status}</span>${
    changes.length ? html` <span class="hint">(${changes.map((c, i) => html`${i ? ', ' : ''}<code>${c}</code>`)})</span>` : ''
  }<br><time datetime="${drift.at}">${shortTime(drift.at)}</time>`
}

function leaseCell(lease) {
  if (!lease) return ''
  return html`<span class="lease">${lease.holder}</span> <span class="hint">(${lease.operation}, until <time datetime="${lease.expiresAt}">${shortTime(lease.expiresAt)}</time>)</span>`
}

function resourceRow(r) {
  const drift = r.lastDrift
  const lease = r.lease
  return html`<tr data-resource="${r.resource}">
<td>${r.declared ? html`<a href="${entityPath(r.resource)}">${refLabel(r.resource)}</a>` : html`${refLabel(r.resource)} <span class="hint">(no longer in the catalogue)</span>`}</td>
<td><code>${r.resourceType}</code>${r.environment ? html` <span class="hint">${r.environment}</span>` : ''}</td>
<td>${r.owner ? refLink(r.owner) : html`<span class="hint">no owner</span>`}</td>
<td class="status status-${r.status || 'none'}">${statusOf(r)}</td>
<td>${r.version || ''}${r.updatedAt ? html`<br><time datetime="${r.updatedAt}">${shortTime(r.updatedAt)}</time>` : ''}</td>
<td>${r.version > 0 ? driftCell(drift) : ''}</td>
<td>${leaseCell(lease)}</td>
</tr>`
}

function resourceTable(rows) {
  return html`<table class="resources"><thead><tr><th scope="col">Resource</th><th scope="col">Type</th><th scope="col">Owner</th><th scope="col">Status</th><th scope="col">State version</th><th scope="col">Last drift check</th><th scope="col">Locked by</th></tr></thead><tbody>
${rows.map(resourceRow)}
</tbody></table>`
}

/** The /resources page: one section per team (or the one team asked for). */
export function resourcesPage({ owners, resources }, owner, feed) {
  const teams = new Map()
  for (const r of resources) {
    const key = r.owner || ''
    if (!teams.has(key)) teams.set(key, [])
    teams.get(key).push(r)
  }
  const title = owner ? `Resources of ${refLabel(owner)}` : 'Resources'
  const body = html`<h1>${title}</h1>
<p>Resources asked for by Resource entities in the catalogue and provisioned through the platform's providers: where each stands, the last time it was checked for drift, and who is working on it. Open one for its history and what applying it would do now.</p>
<form method="get" action="/resources" class="owner-filter">
<label for="owner">Team</label>
<select id="owner" name="owner">
<option value="">All teams</option>
${owners.filter((o) => o).map((o) => html`<option value="${o}"${o === owner ? html` selected` : ''}>${refLabel(o)}</option>`)}
</select>
<button type="submit">Show</button>
${owner ? html` <a href="/resources">All teams</a>` : ''}
</form>
${
  resources.length
    ? [...teams.entries()].map(
        ([team, rows]) => html`<section class="team-resources" data-owner="${team}" aria-labelledby="team-${slug(team)}">
<h2 id="team-${slug(team)}">${team ? html`${refLink(team)}` : 'No owner'} <span class="hint">(${rows.length})</span></h2>
${resourceTable(rows)}
</section>`,
      )
    : html`<p class="empty">${owner ? html`${refLabel(owner)} owns no resources.` : 'No resources yet: declare one as a Resource entity with spec.type, spec.owner and spec.params.'}</p>`
}`
  return layout({ title, current: 'resources', body, feed })
}

function slug(ref) {
  return (ref || 'none').replace(/[^a-z0-9]+/gi, '-')
}

// ---- a Resource entity's page ------------------------------------------------

/**
 * What the Provisioning section shows: the state (null: none yet), its
 * history, and a plan preview (or why there is none: `planError`).
 */
export async function loadProvisioning(platform, ref) {
  const [state, history, planned] = await Promise.all([
    stateOrNull(platform, ref),
    platform.resources.history(ref, { limit: 20 }).catch((err) => {
      if (err instanceof PavedError && err.code === 'NOT_FOUND') return []
      throw err
    }),
    platform.resources.plan([ref]).then(
      (plan) => ({ plan }),
      (err) => {
        if (!(err instanceof PavedError)) throw err
        return { planError: err }
      },
    ),
  ])
  return { state, history, ...planned }
}

function json(value) {
  return typeof value === 'string' ? value : JSON.stringify(value)
}

/** Outputs as state() gives them; a sensitive one reads "(sensitive)" whatever its value. */
function outputsTable(state) {
  const entries = Object.entries(state.outputs || {})
  if (!entries.length) return html`<p>No outputs.</p>`
  const sensitive = new Set(state.sensitive || [])
  return html`<table class="outputs"><thead><tr><th scope="col">Output</th><th scope="col">Value</th></tr></thead><tbody>
${entries.map(([k, v]) => html`<tr><td><code>${k}</code></td><td>${sensitive.has(k) ? html`<span class="sensitive">(sensitive)</span>` : html`<code>${json(v)}</code>`}</td></tr>`)}
</tbody></table>`
}

function currentState(state) {
  if (!state) return html`<p>Not provisioned yet: no state recorded.</p>`
  const rows = [
    ['Status', html`<span class="status status-${state.status}">${STATUS_LABELS[state.status] || state.status}</span>`],
    ['State version', html`${state.version}, <time datetime="${state.at}">${shortTime(state.at)}</time> (${state.operation} by ${state.actor})`],
    ['Provider', html`${state.provider} ${state.providerVersion}`],
    ['Deletion policy', state.deletionPolicy],
    ['Depends on', state.dependsOn.length ? state.dependsOn.map((d, i) => html`${i ? ', ' : ''}${refLink(d)}`) : null],
    ['Last drift check', driftCell(state.lastDrift)],
    ['Locked by', state.lease ? leaseCell(state.lease) : null],
  ].filter(([, v]) => v !== null && v !== undefined && v !== '')
  return html`<dl class="about state">${rows.map(([k, v]) => html`<dt>${k}</dt><dd>${v}</dd>`)}</dl>
<h4>Outputs</h4>
${outputsTable(state)}`
}

function historyTable(history) {
  if (!history.length) return html`<p>No versions yet.</p>`
  return html`<table class="resource-history"><thead><tr><th scope="col">Version</th><th scope="col">When</th><th scope="col">Operation</th><th scope="col">Status</th><th scope="col">Who</th><th scope="col">Plan</th></tr></thead><tbody>
${history.map(
  (h) => html`<tr><td>${h.version}</td><td><time datetime="${h.at}">${shortTime(h.at)}</time></td><td>${h.operation}</td><td>${STATUS_LABELS[h.status] || h.status}</td><td>${h.actor}</td><td><code>${h.plan || ''}</code></td></tr>`,
)}
</tbody></table>`
}

function verdictOf(d) {
  if (d.verdict !== 'deny') return d.verdict
  return d.blocking ? 'deny (blocked)' : `deny (${d.mode} mode)`
}

function planPreview({ plan, planError }) {
  if (planError) {
    return html`<p class="notice refused" role="status">No plan: ${planError.code}: ${planError.message}</p>`
  }
  const changes = plan.resources.filter((r) => r.action !== 'no-op')
  return html`<div class="plan" data-plan="${plan.id}">
<p class="plan-summary">${
    changes.length
      ? html`${changes.length} to change (plan <code>${plan.id}</code>).`
      : html`No changes: the resource is as its Resource asks (plan <code>${plan.id}</code>).`
  }${
    plan.blocked && plan.approvers && plan.approvers.length
      ? html` <strong class="blocked">A policy asks for approval: applying would hold it until a member of ${plan.approvers.map((g, i) => html`${i ? ' or ' : ''}<a href="${entityPath(g)}">${refLabel(g)}</a>`)} approves it.</strong>`
      : plan.blocked
        ? html` <strong class="blocked">An enforcing policy blocks it: applying would be refused.</strong>`
        : ''
  }</p>
<ul class="planned plain">
${plan.resources.map(
  (r) => html`<li class="planned-resource action-${r.action}" data-resource="${r.resource}">
<code class="sign" aria-hidden="true">${SIGNS[r.action] ?? '?'}</code> <strong>${r.action}</strong> ${refLink(r.resource)} <span class="hint">${r.address.resourceType} via ${r.provider}${r.monthlyCost !== undefined ? html`, ${r.monthlyCost} a month` : ''}</span>
${
  r.diff.length
    ? html`<table class="diff"><thead><tr><th scope="col">Attribute</th><th scope="col">Before</th><th scope="col">After</th></tr></thead><tbody>
${r.diff.map(
  (d) => html`<tr${d.requiresReplace ? html` class="forces-replace"` : ''}><td><code>${d.path}</code>${d.requiresReplace ? html` <span class="hint">(forces replacement)</span>` : ''}</td><td>${d.before === undefined ? html`<span class="hint">(none)</span>` : html`<code>${json(d.before)}</code>`}</td><td>${d.after === undefined ? html`<span class="hint">(none)</span>` : html`<code>${json(d.after)}</code>`}</td></tr>`,
)}
</tbody></table>`
    : ''
}
${(r.notes || []).length ? html`<ul class="notes">${r.notes.map((n) => html`<li>${n}</li>`)}</ul>` : ''}
</li>`,
)}
</ul>
${
  (plan.decisions || []).length
    ? html`<table class="plan-decisions"><caption>Policy decisions on this plan</caption><thead><tr><th scope="col">Policy</th><th scope="col">Verdict</th><th scope="col">On</th><th scope="col">What to fix</th></tr></thead><tbody>
${plan.decisions.map(
  (d) => html`<tr><td>${d.policy}</td><td>${verdictOf(d)}</td><td>${d.subject} (${d.point})</td><td>${(d.violations || []).map((v) => html`<span class="violation">${v.path ? html`<code>${v.path}</code>: ` : ''}${v.message}</span>`)}${d.failure ? html`<span class="violation">the guardrail failed: ${d.failure}</span>` : ''}</td></tr>`,
)}
</tbody></table>`
    : html`<p class="hint">No policy remarked on this plan.</p>`
}
</div>`
}

/** The Provisioning section of a Resource entity's page. */
export function provisioningSection(p) {
  return html`<section id="provisioning" aria-labelledby="provisioning-title">
<h2 id="provisioning-title">Provisioning</h2>
<h3>Current state</h3>
${currentState(p.state)}
<h3>History</h3>
${historyTable(p.history)}
<h3>Plan preview</h3>
<p class="hint">What applying this resource would do now, computed as this page was drawn (nothing was changed).</p>
${planPreview(p)}
</section>`
}

