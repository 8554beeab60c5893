// The page frame every page shares: skip link, header with the site name and
// navigation, main content, and the live "recent changes" aside.

import { html } from './html.mjs'

/**
 * Render a whole page. `current` marks the navigation entry of this page;
 * `scripts` are more scripts the page needs (deferred, in order).
 */
export function layout({ title, current, body, feed, scripts = [] }) {
  const nav = [
    ['/', 'Catalogue', 'catalogue'],
    ['/locations', 'Locations', 'locations'],
    ['/paths', 'Create', 'create'],
    ['/resources', 'Resources', 'resources'],
    ['/approvals', 'Approvals', 'approvals'],
    ['/changes', 'Recent changes', 'changes'],
  ]
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · paved portal</title>
<link rel="stylesheet" href="/static/portal.css">
<script src="/static/feed.js" defer></script>
${scripts.map((src) => html`<script src="${src}" defer></script>
`)}</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="site">
  <a class="brand" href="/">paved portal</a>
  <nav aria-label="Main">
    <ul>
      ${nav.map(([href, label, key]) => html`<li><a href="${href}"${key === current ? html` aria-current="page"` : ''}>${label}</a></li>`)}
    </ul>
  </nav>
</header>
<div class="page">
<main id="main" tabindex="-1">
${body}
</main>
${feed ? feedAside(feed) : ''}
</div>
</body>
</html>`
}

/** The "Recent changes" box; feed.js keeps it live. */
function feedAside(items) {
  return html`<aside class="feed" aria-labelledby="feed-title">
  <h2 id="feed-title">Recent changes</h2>
  <p class="hint">Updates live as anyone changes the catalogue.</p>
  <ol id="feed" aria-live="polite" aria-relevant="additions">
    ${items.map(feedItem)}
  </ol>
  <p><a href="/changes">All recent changes</a></p>
</aside>`
}

/** One feed entry (feed.js builds the same markup for live entries). */
export function feedItem(item) {
  return html`<li data-seq="${item.seq}">
  ${item.href ? html`<a class="subject" href="${item.href}">${item.label}</a>` : html`<span class="subject">${item.label}</span>`}
  <span class="verb">${item.verb}</span> by <span class="actor">${item.actor}</span>
  <time datetime="${item.at}">${shortTime(item.at)}</time>
</li>`
}

const ACTIONS = {
  'entity.create': 'created',
  'entity.update': 'updated',
  'entity.delete': 'deleted',
  'policy.decision': 'reviewed by a policy',
  'scorecard.snapshot': 'scores recorded',
  'approval.requested': 'held for approval',
  'approval.approved': 'approved',
  'approval.applied': 'applied after approval',
  'approval.rejected': 'rejected',
  'approval.stale': 'not applied: changed meanwhile',
  'resource.apply': 'provisioned',
  'resource.destroy': 'destroyed',
  'resource.forget': 'let go (not deleted)',
  'resource.import': 'imported',
  'resource.drift': 'checked for drift',
  'resource.unlock': 'unlocked',
  'resource.outputs.reveal': 'secret outputs revealed',
  'path.run': 'golden path run started',
  'path.finished': 'golden path run finished',
  'path.resume': 'golden path run resumed',
  'catalog.import': 'imported',
  'catalog.refresh': 'refreshed',
}

/** `entity.create` -> `created`. */
export function actionLabel(action) {
  return ACTIONS[action] || action
}

/** `2026-05-01T10:20:30.123456Z` -> `2026-05-01 10:20:30 UTC`. */
export function shortTime(at) {
  const m = /^(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)/.exec(at || '')
  return m ? `${m[1]} ${m[2]} UTC` : at
}
