// Changes held for approval: the list (/approvals) and one request
// (/approvals/:id) with why it was held, who may approve it, and forms to
// approve or reject it as the signed-in user. Whether that user may is the
// engine's decision (platform.approvals.approve / reject): the page shows
// its answer, it does not guess.

import { html } from './html.mjs'
import { layout, shortTime } from './layout.mjs'
import { entityPath, refLabel } from './refs.mjs'

export const STATUSES = ['pending', 'applied', 'rejected', 'expired', 'stale']

const STATUS_LABELS = {
  pending: 'waiting for approval',
  applied: 'approved and applied',
  rejected: 'rejected',
  expired: 'expired',
  stale: 'not applied: changed meanwhile',
}

/** `?status=` of the list, or pending. */
export function readStatus(url) {
  const s = url.searchParams.get('status')
  return s === 'all' ? null : STATUSES.includes(s) ? s : 'pending'
}

function changeLine(c) {
  // A held resource plan says what it does to each resource (create, replace, …).
  const verb = c.action || c.outcome
  const target = c.outcome === 'deleted' && !c.action ? html`<span>${refLabel(c.entityRef)}</span>` : html`<a href="${entityPath(c.entityRef)}">${refLabel(c.entityRef)}</a>`
  return html`<li><code>${c.entityRef.split(':')[0]}</code> ${target} ${verb}</li>`
}

function waiting(a) {
  return a.required.filter((r) => !r.approvedBy)
}

function signedIn(user) {
  return user
    ? html`<p class="hint">Signed in as <strong class="user">${user}</strong> (from your sign-in proxy).</p>`
    : html`<p class="hint">You are not signed in: the portal reads who you are from your sign-in proxy (the <code>X-Forwarded-User</code> header), so approving and rejecting is not available here.</p>`
}

/** The list of requests in one state (null: every state). */
export function approvalsPage(list, status, user, feed) {
  const tabs = [...STATUSES, 'all'].map(
    (s) => html`<li><a href="/approvals?status=${s}"${(status || 'all') === s ? html` aria-current="page"` : ''}>${s}</a></li>`,
  )
  const body = html`<h1>Approvals</h1>
<p>Changes a policy holds until someone it names approves them. Approving writes exactly the change that was reviewed (a held resource plan runs only if it is still the plan that was reviewed); rejecting writes nothing.</p>
${signedIn(user)}
<nav aria-label="Status" class="tabs"><ul>${tabs}</ul></nav>
${
  list.length
    ? html`<table class="approvals"><thead><tr><th scope="col">Request</th><th scope="col">Changes</th><th scope="col">Asked by</th><th scope="col">Status</th><th scope="col">Waiting for</th><th scope="col">Expires</th></tr></thead><tbody>
${list.map(
  (a) => html`<tr data-approval="${a.id}"><td><a href="/approvals/${a.id}">${a.id}</a></td><td><ul class="plain">${a.changes.map(changeLine)}</ul></td><td>${a.requestedBy}</td><td>${STATUS_LABELS[a.status]}</td><td>${a.status === 'pending' ? waiting(a).map((r, i) => html`${i ? '; ' : ''}${r.approvers.join(' or ')}`) : ''}</td><td><time datetime="${a.expiresAt}">${shortTime(a.expiresAt)}</time></td></tr>`,
)}
</tbody></table>`
    : html`<p class="empty">No ${status || ''} requests.</p>`
}`
  return layout({ title: 'Approvals', current: 'approvals', body, feed })
}

/** One request; `notice` is what the last action said ({ ok, text }). */
export function approvalPage(a, user, notice, feed) {
  const open = a.status === 'pending'
  const body = html`
<nav aria-label="Breadcrumb" class="crumbs"><a href="/approvals">Approvals</a> › <span aria-current="page">${a.id}</span></nav>
<h1>Request ${a.id} <span class="badge status-${a.status}">${STATUS_LABELS[a.status]}</span></h1>
${notice ? html`<p class="notice ${notice.ok ? 'ok' : 'refused'}" role="${notice.ok ? 'status' : 'alert'}">${notice.text}</p>` : ''}
<dl class="about">
<dt>Asked by</dt><dd>${a.requestedBy}, <time datetime="${a.requestedAt}">${shortTime(a.requestedAt)}</time></dd>
<dt>Changes</dt><dd><ul class="plain changes-held">${a.changes.map(changeLine)}</ul></dd>
${open ? html`<dt>Expires</dt><dd><time datetime="${a.expiresAt}">${shortTime(a.expiresAt)}</time></dd>` : ''}
${a.decidedBy ? html`<dt>Decided by</dt><dd>${a.decidedBy}, <time datetime="${a.decidedAt}">${shortTime(a.decidedAt)}</time></dd>` : ''}
${a.comment ? html`<dt>Comment</dt><dd class="comment">${a.comment}</dd>` : ''}
</dl>
<h2>Why it was held</h2>
<table class="required"><thead><tr><th scope="col">Policy</th><th scope="col">What it found</th><th scope="col">Who may approve</th><th scope="col">Approved by</th></tr></thead><tbody>
${a.required.map((r) => {
  const found = a.decisions.filter((d) => d.policy === r.policy && d.blocking)
  return html`<tr><td>${r.policy}</td><td>${found.map(
    (d) => html`${d.id ? html`<a href="/decisions/${d.id}">#${d.id}</a> ` : ''}${(d.violations || []).map((v) => html`<span class="violation">${v.path ? html`<code>${v.path}</code>: ` : ''}${v.message}</span> `)}`,
  )}</td><td>${r.approvers.map((g, i) => html`${i ? ' or ' : ''}<a href="${entityPath(g)}">${refLabel(g)}</a> members`)}</td><td>${r.approvedBy ? html`${r.approvedBy}, <time datetime="${r.approvedAt}">${shortTime(r.approvedAt)}</time>` : 'waiting'}</td></tr>`
})}
</tbody></table>
${signedIn(user)}
${
  open && user
    ? html`<div class="decide">
<form method="post" action="/approvals/${a.id}/approve" class="approve">
  <label for="comment">Comment (optional)</label>
  <input id="comment" name="comment" type="text" maxlength="500">
  <button type="submit">Approve</button>
</form>
<form method="post" action="/approvals/${a.id}/reject" class="reject">
  <label for="reason">Reason (optional)</label>
  <input id="reason" name="reason" type="text" maxlength="500">
  <button type="submit">Reject</button>
</form>
</div>`
    : ''
}`
  return layout({ title: `Request ${a.id}`, current: 'approvals', body, feed })
}
