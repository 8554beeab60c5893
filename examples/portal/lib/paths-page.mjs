// Golden paths ("Create", as in Backstage): the templates (/paths), a
// template's form (/paths/:namespace/:name), the preview of a run (the
// engine's dry run: files with their content, entities, resource plans and
// every policy decision), a run's page with its live progress and outcome
// (/paths/runs/:id), and the recent runs (/paths/runs).
//
// The form is drawn in the browser by @json-editor/json-editor from the
// Template's parameter pages (paths-form.mjs turns Backstage's `ui:*` hints
// into the library's keywords; public/paths.js draws one page at a time).
// The parameters go back to the server as JSON in one form field; the
// engine checks them (per-field errors come back as `parameters.<field>`
// diagnostics and are shown beside their fields), previews the run, and
// runs exactly what was previewed (the preview's digest goes with "Run").

import { html, raw } from './html.mjs'
import { layout, shortTime } from './layout.mjs'
import { editorPath, formPages } from './paths-form.mjs'
import { entityPath, parseRef, refLabel } from './refs.mjs'
import { SIGNS } from './resources-page.mjs'

/** The scripts the form and run pages add: the form library, then the portal's. */
export const PATH_SCRIPTS = ['/static/jsoneditor.js', '/static/paths.js']

/** The page of a Template: `/paths/<namespace>/<name>`. */
export function templatePath(ref) {
  const p = parseRef(ref) || { namespace: 'default', name: ref }
  return `/paths/${encodeURIComponent(p.namespace)}/${encodeURIComponent(p.name)}`
}

/** The page of a run. */
export function runPath(id) {
  return `/paths/runs/${encodeURIComponent(id)}`
}

function templateLink(ref, title) {
  return html`<a href="${templatePath(ref)}">${title || refLabel(ref)}</a>`
}

function refLink(ref) {
  return html`<a href="${entityPath(ref)}">${refLabel(ref)}</a>`
}

function crumbs(...items) {
  return html`<nav aria-label="Breadcrumb" class="crumbs"><a href="/paths">Create</a>${items.map(
    (item, i) => html` › ${i === items.length - 1 ? html`<span aria-current="page">${item}</span>` : item}`,
  )}</nav>`
}

function problemList(problems) {
  return html`<ul class="problems">${problems.map(
    (d) => html`<li>${d.path ? html`<code>${d.path}</code>: ` : ''}${d.message}${d.location ? html` <span class="hint">(line ${d.location.line})</span>` : ''}</li>`,
  )}</ul>`
}

// ---- the templates ----------------------------------------------------------

function templateCard(t) {
  const runnable = !(t.problems || []).length
  return html`<li class="template-card${runnable ? '' : ' not-runnable'}" data-template="${t.reference}">
<h2>${templateLink(t.reference, t.title || t.name)} <span class="badge">${t.type || 'template'}</span></h2>
${t.description ? html`<p>${t.description}</p>` : ''}
<dl class="about">
${t.owner ? html`<dt>Owner</dt><dd>${refLink(t.owner)}</dd>` : ''}
${(t.tags || []).length ? html`<dt>Tags</dt><dd>${t.tags.map((tag) => html`<span class="tag">${tag}</span> `)}</dd>` : ''}
</dl>
${
  runnable
    ? html`<p><a class="button" href="${templatePath(t.reference)}">Choose</a></p>`
    : html`<div class="notice refused"><p><strong>Not runnable</strong>: the template has problems its owner must fix.</p>${problemList(t.problems)}</div>`
}
</li>`
}

/** /paths: every Template of the catalogue. */
export function templatesPage(templates, feed) {
  const sorted = [...templates].sort((a, b) => (a.title || a.name).localeCompare(b.title || b.name))
  const body = html`<h1>Create</h1>
<p>Golden paths: the paved ways to make something new. Choose one, answer its questions, preview exactly what it will do, then run it. <a href="/paths/runs">Recent runs</a></p>
${
  sorted.length
    ? html`<ul class="templates plain">${sorted.map(templateCard)}</ul>`
    : html`<p class="empty">No golden paths yet: add a <code>kind: Template</code> (scaffolder.backstage.io/v1beta3) to the catalogue.</p>`
}`
  return layout({ title: 'Create', current: 'create', body, feed })
}

// ---- a template's form ------------------------------------------------------

function aboutTemplate(t) {
  return html`<dl class="about">
${t.owner ? html`<dt>Owner</dt><dd>${refLink(t.owner)}</dd>` : ''}
<dt>Type</dt><dd>${t.type || ''}</dd>
${(t.tags || []).length ? html`<dt>Tags</dt><dd>${t.tags.map((tag) => html`<span class="tag">${tag}</span> `)}</dd>` : ''}
<dt>Template</dt><dd>${refLink(t.reference)} <span class="hint">version <code>${t.version}</code></span></dd>
<dt>Steps</dt><dd>${(t.actions || []).map((a, i) => html`${i ? ' → ' : ''}<code>${a}</code>`)}</dd>
</dl>`
}

/** JSON to put inside a `<script type="application/json">`: nothing in it can close the element. */
function scriptJson(value) {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026')
}

/**
 * A template's page: its form (one section per page, drawn by paths.js)
 * and, after a refused preview, the engine's problems (`errors`:
 * diagnostics) with the answers given (`values`).
 */
export function templatePage(t, { values = {}, errors = [], user = null } = {}, feed) {
  const problems = t.problems || []
  const pages = formPages(t.parameters)
  const fieldOf = new Map(pages.flatMap((p, i) => p.fields.map((f) => [f, i])))
  const shown = errors.map((d) => {
    const path = editorPath(d.path)
    const field = path ? path.split('.')[1] : null
    return { path, field, page: field !== null && fieldOf.has(field) ? fieldOf.get(field) : null, message: d.message, at: d.path }
  })
  const data = { pages, values, errors: shown }
  const title = t.title || t.name
  const body = html`${crumbs(title)}
<h1>${title} <span class="badge">${t.type || 'template'}</span></h1>
${t.description ? html`<p class="lead">${t.description}</p>` : ''}
${aboutTemplate(t)}
${
  problems.length
    ? html`<div class="notice refused" role="alert"><p><strong>This golden path cannot run</strong>: its template has problems its owner must fix.</p>${problemList(problems)}</div>`
    : html`
${
  shown.length
    ? html`<div class="notice refused form-problems" role="alert" id="form-problems"><p>The answers need fixing before this can run:</p><ul>${shown.map(
        (e) => html`<li data-path="${e.at}">${e.field ? html`<strong>${fieldTitle(pages, e.field)}</strong>: ` : e.at ? html`<code>${e.at}</code>: ` : ''}${e.message}</li>`,
      )}</ul></div>`
    : ''
}
<form method="post" action="${templatePath(t.reference)}/preview" class="path-form" id="path-form" novalidate>
<script type="application/json" id="path-form-data">${raw(scriptJson(data))}</script>
${pages.length > 1 ? html`<ol class="form-steps" aria-label="Pages">${pages.map((p, i) => html`<li data-page="${i}">${p.title}</li>`)}</ol>` : ''}
${pages.map(
  (p, i) => html`<section class="form-page" data-page="${i}" aria-labelledby="page-${i}-title">
<h2 id="page-${i}-title">${pages.length > 1 ? html`<span class="step-number">${i + 1} of ${pages.length}:</span> ` : ''}${p.title}</h2>
${p.description ? html`<p class="hint">${p.description}</p>` : ''}
<div class="form-editor" data-page="${i}"></div>
</section>`,
)}
${pages.length ? '' : html`<p>This golden path asks for nothing.</p>`}
<div class="raw-parameters">
<label for="parameters">The answers, as JSON <span class="hint">(the form above fills this in; without JavaScript, write them here)</span></label>
<textarea id="parameters" name="parameters" rows="6" spellcheck="false">${JSON.stringify(values, null, 2)}</textarea>
</div>
<div class="form-buttons">
<button type="button" class="secondary" data-action="back" hidden>Back</button>
<button type="button" data-action="next" hidden>Next</button>
<button type="submit" data-action="preview">Preview</button>
</div>
${user ? '' : html`<p class="hint">You are not signed in: you can preview, and running needs you signed in (your sign-in proxy's <code>X-Forwarded-User</code>).</p>`}
</form>`
}`
  return layout({ title, current: 'create', body, feed, scripts: PATH_SCRIPTS })
}

function fieldTitle(pages, field) {
  for (const p of pages) {
    const prop = p.schema.properties && p.schema.properties[field]
    if (prop) return prop.title || field
  }
  return field
}

// ---- the preview ------------------------------------------------------------

function entityRefOf(entity) {
  if (!entity || !entity.metadata) return 'an entity'
  return `${String(entity.kind || '').toLowerCase()}:${entity.metadata.namespace || 'default'}/${entity.metadata.name}`
}

/** What an effect does, in a few words (core's Effect::describe). */
export function describeEffect(e) {
  switch (e.type) {
    case 'writeFile':
      return `write ${e.path}`
    case 'deleteFile':
      return `delete ${e.path}`
    case 'renameFile':
      return `rename ${e.from} to ${e.to}`
    case 'register':
      return `register ${entityRefOf(e.entity)}`
    case 'applyResource':
      return `provision ${entityRefOf(e.entity)}`
    case 'log':
      return `log: ${e.message}`
    case 'wait':
      return `wait ${e.milliseconds} ms`
    default:
      return e.type
  }
}

/** `deny (blocked)`, `deny (warn mode)`, `warn`, `allow`. */
function verdictOf(d) {
  if (d.verdict !== 'deny') return d.verdict
  return d.blocking ? 'deny (blocked)' : `deny (${d.mode} mode)`
}

function decisionsTable(decisions) {
  if (!decisions.length) return html`<p class="hint">No policy remarked on this run.</p>`
  return html`<table class="path-decisions"><thead><tr><th scope="col">Policy</th><th scope="col">On</th><th scope="col">Verdict</th><th scope="col">Why</th></tr></thead><tbody>
${decisions.map(
  (d) => html`<tr class="${d.blocking ? 'blocking' : ''}" data-policy="${d.policy}"><td>${d.policy}${d.description ? html`<br><span class="hint">${d.description}</span>` : ''}</td><td>${d.subject} <span class="hint">(${d.point})</span></td><td class="verdict">${verdictOf(d)}</td><td class="why">${(d.violations || []).map(
    (v) => html`<span class="violation">${v.path ? html`<code>${v.path}</code>: ` : ''}${v.message}</span>`,
  )}${d.failure ? html`<span class="violation">the guardrail failed: ${d.failure}</span>` : ''}</td></tr>`,
)}
</tbody></table>`
}

function valueText(v) {
  return typeof v === 'string' ? v : JSON.stringify(v)
}

function parametersTable(parameters) {
  const entries = Object.entries(parameters || {})
  if (!entries.length) return html`<p class="hint">No parameters.</p>`
  return html`<table class="path-parameters"><tbody>${entries.map(([k, v]) => html`<tr><th scope="row"><code>${k}</code></th><td>${valueText(v)}</td></tr>`)}</tbody></table>`
}

function fileItem(f) {
  const body =
    f.action === 'delete'
      ? html`<p class="hint">Deleted.</p>`
      : f.binary
        ? html`<p class="hint">Binary content (${Math.floor(((f.content || '').length * 3) / 4)} bytes).</p>`
        : html`<pre class="file-content">${f.content || ''}</pre>`
  return html`<li class="planned-file action-${f.action}" data-file="${f.path}"><details><summary><code>${f.path}</code> <span class="file-action">${f.action}</span></summary>${body}</details></li>`
}

function entityItem(e) {
  return html`<li class="planned-entity" data-entity="${e.entityRef}"><details><summary><code>${e.entityRef}</code> <span class="entity-outcome">${e.outcome}</span> <span class="hint">by step ${e.step}</span></summary><pre class="entity-content">${JSON.stringify(e.entity, null, 2)}</pre></details></li>`
}

function resourceLines(plan) {
  if (!plan || !(plan.resources || []).length) return ''
  return html`<section aria-labelledby="preview-resources"><h2 id="preview-resources">Resources</h2>
<ul class="planned plain">${plan.resources.map(
    (r) => html`<li class="planned-resource action-${r.action}" data-resource="${r.resource}"><code class="sign" aria-hidden="true">${SIGNS[r.action] ?? '?'}</code> <strong>${r.action}</strong> ${refLabel(r.resource)} <span class="hint">${r.address.resourceType} via ${r.provider}${r.monthlyCost !== undefined ? html`, ${r.monthlyCost} a month` : ''}</span>${
      (r.diff || []).length
        ? html`<ul class="diff-lines">${r.diff.map((d) => html`<li><code>${d.path}</code>: ${d.before === undefined ? '' : html`<code>${valueText(d.before)}</code> → `}${d.after === undefined ? '(removed)' : html`<code>${valueText(d.after)}</code>`}</li>`)}</ul>`
        : ''
    }${(r.notes || []).length ? html`<ul class="notes">${r.notes.map((n) => html`<li>${n}</li>`)}</ul>` : ''}</li>`,
  )}</ul></section>`
}

function stepsList(steps) {
  return html`<ol class="planned-steps">${steps.map(
    (s) => html`<li data-step="${s.id}"${s.skipped ? html` class="skipped"` : ''}><strong>${s.name}</strong> <code>${s.action}</code>${s.skipped ? html` <span class="hint">(skipped: its condition is false)</span>` : ''}${s.provisional ? html` <span class="hint">(decided when it runs: it uses what a provider tells)</span>` : ''}${
      (s.effects || []).length ? html`<ul class="effects">${s.effects.map((e) => html`<li>${describeEffect(e)}</li>`)}</ul>` : ''
    }</li>`,
  )}</ol>`
}

function outputPreview(output) {
  const links = output.links || []
  const text = output.text || []
  if (!links.length && !text.length) return ''
  return html`<section aria-labelledby="preview-output"><h2 id="preview-output">What you will get</h2>${outputLinks(links, false)}${outputText(text)}</section>`
}

/** A hidden field with the parameters as given (the run needs them as they were). */
function parametersField(values) {
  return html`<input type="hidden" name="parameters" value="${JSON.stringify(values)}">`
}

/**
 * The preview of a run: the dry run's ChangeSet. A blocked one shows why
 * and offers no Run button; otherwise "Run" runs exactly this plan
 * (`expectDigest`).
 */
export function previewPage(t, plan, values, user, feed, notice = null) {
  const title = t.title || t.name
  const blocking = (plan.decisions || []).filter((d) => d.blocking)
  const summary = [
    `${plan.files.length} file${plan.files.length === 1 ? '' : 's'}`,
    `${plan.entities.length} entit${plan.entities.length === 1 ? 'y' : 'ies'} to register`,
    plan.resources ? `${plan.resources.resources.length} resource${plan.resources.resources.length === 1 ? '' : 's'}` : null,
    `${(plan.decisions || []).length} policy decision${(plan.decisions || []).length === 1 ? '' : 's'}`,
  ].filter(Boolean)
  const body = html`${crumbs(html`${templateLink(t.reference, title)}`, 'Preview')}
<h1>Preview: ${title}</h1>
${notice ? html`<div class="notice refused" role="alert" id="preview-notice">${notice}</div>` : ''}
<p class="preview-summary">Running it would write ${summary.join(', ')}. Nothing has happened yet.</p>
${
  plan.blocked
    ? html`<div class="notice refused denied" role="alert" id="denied"><p><strong>A policy refuses this run</strong>: it would not be run. What the policies said:</p><ul>${blocking.map(
        (d) => html`<li><strong>${d.policy}</strong>: ${(d.violations || []).map((v, i) => html`${i ? '; ' : ''}${v.message}`)}${d.failure ? html`the guardrail failed: ${d.failure}` : ''}</li>`,
      )}</ul><p>Change the answers, or ask the policy's owners.</p></div>`
    : ''
}
<section aria-labelledby="preview-parameters"><h2 id="preview-parameters">Your answers</h2>${parametersTable(plan.parameters)}</section>
<section aria-labelledby="preview-files"><h2 id="preview-files">Files <span class="hint">(in <code>${plan.workspace}</code>)</span></h2>
${plan.files.length ? html`<ul class="planned-files plain">${plan.files.map(fileItem)}</ul>` : html`<p class="hint">No files.</p>`}</section>
<section aria-labelledby="preview-entities"><h2 id="preview-entities">Entities to register</h2>
${plan.entities.length ? html`<ul class="planned-entities plain">${plan.entities.map(entityItem)}</ul>` : html`<p class="hint">None.</p>`}</section>
${resourceLines(plan.resources)}
<section aria-labelledby="preview-decisions"><h2 id="preview-decisions">Policy decisions</h2>${decisionsTable(plan.decisions || [])}</section>
<section aria-labelledby="preview-steps"><h2 id="preview-steps">Steps</h2>${stepsList(plan.steps)}</section>
${outputPreview(plan.output || {})}
<div class="form-buttons preview-buttons">
<form method="post" action="${templatePath(t.reference)}" class="edit-answers">${parametersField(values)}<button type="submit" class="secondary">Change the answers</button></form>
${
  plan.blocked
    ? ''
    : user
      ? html`<form method="post" action="${templatePath(t.reference)}/run" class="run-form">${parametersField(values)}<input type="hidden" name="digest" value="${plan.digest}"><button type="submit">Run</button></form>`
      : html`<p class="hint">Sign in to run it (your sign-in proxy sets <code>X-Forwarded-User</code>).</p>`
}
</div>`
  return layout({ title: `Preview: ${title}`, current: 'create', body, feed })
}

/** A run the engine refused (a policy denied it when it was asked to run). */
export function deniedPage(t, err, feed) {
  const title = t.title || t.name
  const decisions = (err.details && err.details.decisions) || []
  const body = html`${crumbs(html`${templateLink(t.reference, title)}`, 'Refused')}
<h1>Not run: ${title}</h1>
<div class="notice refused denied" role="alert" id="denied"><p><strong>A policy refuses this run</strong>; nothing was done.</p>
<p>${err.message}</p></div>
<section aria-labelledby="denied-decisions"><h2 id="denied-decisions">Policy decisions</h2>${decisionsTable(decisions)}</section>
<p><a href="${templatePath(t.reference)}">Start again</a></p>`
  return layout({ title: `Not run: ${title}`, current: 'create', body, feed })
}

// ---- runs -------------------------------------------------------------------

const RUN_STATUS = { running: 'running', succeeded: 'succeeded', 'rolled-back': 'rolled back', failed: 'failed' }
const STEP_STATUS = { pending: 'waiting', skipped: 'skipped', started: 'running', done: 'done', failed: 'failed', undone: 'rolled back' }

/** How long, in words: `850 ms`, `1.6 s`, `2 min 5 s`. */
export function duration(ms) {
  if (ms === undefined || ms === null) return ''
  if (ms < 1000) return `${ms} ms`
  if (ms < 60000) return `${(ms / 1000).toFixed(1)} s`
  return `${Math.floor(ms / 60000)} min ${Math.round((ms % 60000) / 1000)} s`
}

function between(a, b) {
  const ms = Date.parse(b) - Date.parse(a)
  return Number.isFinite(ms) ? ms : null
}

function runStatus(status, interrupted) {
  return html`<span class="run-status status-${status}">${interrupted ? 'interrupted' : RUN_STATUS[status] || status}</span>`
}

/** /paths/runs: recent runs, newest first. */
export function runsPage(runs, feed) {
  const body = html`${crumbs('Runs')}
<h1>Recent runs</h1>
<p>Golden-path runs, newest first, by anyone. <a href="/paths">Create something</a></p>
${
  runs.length
    ? html`<table class="runs"><thead><tr><th scope="col">Run</th><th scope="col">Golden path</th><th scope="col">Status</th><th scope="col">By</th><th scope="col">Started</th><th scope="col">Took</th><th scope="col">Steps</th></tr></thead><tbody>
${runs.map(
  (r) => html`<tr data-run="${r.id}"><td><a href="${runPath(r.id)}"><code>${r.id}</code></a></td><td>${templateLink(r.template)}</td><td>${runStatus(r.status, r.interrupted)}${r.error ? html`<br><span class="hint">${r.error}</span>` : ''}</td><td>${r.actor}${r.team ? html`<br><span class="hint">for ${refLabel(r.team)}</span>` : ''}</td><td><time datetime="${r.startedAt}">${shortTime(r.startedAt)}</time></td><td>${duration(r.durationMs)}</td><td>${r.stepsDone} of ${r.steps}</td></tr>`,
)}
</tbody></table>`
    : html`<p class="empty">No runs yet.</p>`
}`
  return layout({ title: 'Recent runs', current: 'create', body, feed })
}

/** Only http(s) and mailto links are rendered as links. */
function safeUrl(u) {
  return /^(https?:|mailto:)/i.test(u || '') ? u : null
}

function outputLinks(links, live = true) {
  if (!links.length) return ''
  return html`<ul class="output-links">${links.map((l) => {
    const title = l.title || l.entityRef || l.url
    if (typeof l.entityRef === 'string' && parseRef(l.entityRef)) {
      return live
        ? html`<li><a href="${entityPath(l.entityRef)}" data-entity="${l.entityRef}">${title}</a> <span class="hint">(${l.entityRef})</span></li>`
        : html`<li>${title} <span class="hint">(${l.entityRef})</span></li>`
    }
    const url = safeUrl(l.url)
    return url && live ? html`<li><a href="${url}" rel="noopener noreferrer">${title}</a></li>` : html`<li>${title}${l.url ? html` <span class="hint">(${l.url})</span>` : ''}</li>`
  })}</ul>`
}

function outputText(text) {
  if (!text.length) return ''
  return html`${text.map(
    (t) => html`<div class="output-text">${t.title ? html`<h3>${t.title}</h3>` : ''}<p>${typeof t.content === 'string' ? t.content : JSON.stringify(t.content)}</p></div>`,
  )}`
}

function stepItem(s) {
  return html`<li class="run-step status-${s.status}" data-step="${s.id}" data-status="${s.status}">
<span class="step-name">${s.name}</span> <code>${s.action}</code> <span class="step-status">${STEP_STATUS[s.status] || s.status}</span>
${s.error ? html`<p class="step-error">${s.error}</p>` : ''}
</li>`
}

function outcome(r) {
  if (r.status === 'running') return ''
  if (r.status === 'succeeded') {
    const links = (r.output && r.output.links) || []
    const text = (r.output && r.output.text) || []
    return html`<section class="run-outcome succeeded" aria-labelledby="outcome-title"><h2 id="outcome-title">Done</h2>
${links.length || text.length ? html`${outputLinks(links)}${outputText(text)}` : html`<p>The run finished.</p>`}
</section>`
  }
  const failed = r.steps.find((s) => s.status === 'failed')
  return html`<section class="run-outcome ${r.status}" aria-labelledby="outcome-title"><h2 id="outcome-title">${r.status === 'rolled-back' ? 'Failed, and rolled back' : 'Failed'}</h2>
<p class="run-error" role="alert">${failed ? html`Step <strong>${failed.name}</strong> failed: ${failed.error}` : r.error}</p>
<h3>What was rolled back</h3>
${(r.undone || []).length ? html`<ul class="undone">${r.undone.map((u) => html`<li>${u}</li>`)}</ul>` : html`<p class="hint">Nothing needed undoing.</p>`}
${
  (r.notUndone || []).length
    ? html`<h3>What was not undone</h3><ul class="not-undone">${r.notUndone.map((u) => html`<li>${u}</li>`)}</ul>`
    : ''
}
<p><a href="${templatePath(r.template)}">Try again</a></p>
</section>`
}

/** A run: its steps (live while it runs: paths.js follows its events) and its outcome. */
export function runPage(r, feed) {
  const took = r.finishedAt ? between(r.startedAt, r.finishedAt) : null
  const body = html`${crumbs(html`<a href="/paths/runs">Runs</a>`, r.id)}
<h1>Run <code>${r.id}</code> ${runStatus(r.status)}</h1>
<dl class="about">
<dt>Golden path</dt><dd>${templateLink(r.template)} <span class="hint">version <code>${r.templateVersion}</code></span></dd>
<dt>By</dt><dd>${r.actor}${r.team ? html` for ${refLink(r.team)}` : ''}</dd>
<dt>Started</dt><dd><time datetime="${r.startedAt}">${shortTime(r.startedAt)}</time></dd>
${r.finishedAt ? html`<dt>Finished</dt><dd><time datetime="${r.finishedAt}">${shortTime(r.finishedAt)}</time> (took ${duration(took)})</dd>` : ''}
<dt>Workspace</dt><dd><code>${r.workspace}</code></dd>
</dl>
<section class="run-progress" id="run-progress" data-run="${r.id}" data-status="${r.status}" aria-labelledby="progress-title">
<h2 id="progress-title">Steps</h2>
<ol class="run-steps" aria-live="polite">${r.steps.map(stepItem)}</ol>
${
  r.status === 'running' || (r.log || []).length
    ? html`<h3>Log</h3>
<ol class="run-log" aria-live="polite">${(r.log || []).map((line) => html`<li>${line}</li>`)}</ol>`
    : ''
}
${r.status === 'running' ? html`<p class="hint run-live">Following the run as it goes…</p>` : ''}
</section>
${outcome(r)}
<section aria-labelledby="run-parameters"><h2 id="run-parameters">Answers</h2>${parametersTable(r.parameters)}</section>`
  return layout({ title: `Run ${r.id}`, current: 'create', body, feed, scripts: r.status === 'running' ? ['/static/paths.js'] : [] })
}
