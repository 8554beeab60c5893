// The portal's HTTP server (node:http): routes to pages, static files and the
// live feed. Everything is server-rendered HTML; the one script (feed.js)
// only makes the "recent changes" list live.
//
//   GET /                               catalogue: search, filters, paging
//   GET /catalog/:namespace/:kind/:name entity page (groups: what they own)
//   GET /decisions/:id                  a policy decision and its explanation
//   GET /changes                        recent changes
//   GET /events                         the feed as server-sent events
//   GET /static/*                       CSS and feed.js
//   GET /healthz                        "ok" once the portal is ready

import { readFile } from 'node:fs/promises'
import http from 'node:http'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

import { PavedError } from 'paved'

import { catalogPage, loadCatalog, readState } from './catalog-page.mjs'
import { decisionPage, entityPage, loadEntity } from './entity-page.mjs'
import { Feed } from './feed.mjs'
import { html } from './html.mjs'
import { feedItem, layout } from './layout.mjs'

const PUBLIC = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'public')
const STATIC = {
  'portal.css': 'text/css; charset=utf-8',
  'feed.js': 'text/javascript; charset=utf-8',
}

/**
 * A portal on an open platform. `start()` resolves with the bound address.
 * @param {import('paved').Platform} platform
 * @param {{ pollMs?: number }} [options] see Feed
 */
export function createPortal(platform, options = {}) {
  const feed = new Feed(platform, options)
  const server = http.createServer((req, res) => {
    res.startedAt = process.hrtime.bigint()
    handle(req, res).catch((err) => fail(res, err))
  })
  server.keepAliveTimeout = 5000

  async function handle(req, res) {
    const url = new URL(req.url, 'http://portal.invalid')
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return send(res, 405, 'text/plain; charset=utf-8', 'Only GET is supported.\n', { allow: 'GET, HEAD' })
    }
    const p = url.pathname
    if (p === '/') {
      const state = readState(url)
      const data = await loadCatalog(platform, state)
      return page(res, 200, catalogPage(state, data, feed.recent()))
    }
    const m = /^\/catalog\/([^/]+)\/([^/]+)\/([^/]+)\/?$/.exec(p)
    if (m) {
      const [namespace, kind, name] = m.slice(1).map(decodeURIComponent)
      const data = await loadEntity(platform, `${kind}:${namespace}/${name}`, url)
      return page(res, 200, entityPage(data, url, feed.recent()))
    }
    const d = /^\/decisions\/(\d+)\/?$/.exec(p)
    if (d) return page(res, 200, decisionPage(await platform.policies.why(Number(d[1])), feed.recent()))
    if (p === '/changes') return page(res, 200, changesPage(feed.recent(100)))
    if (p === '/events') return feed.serve(req, res)
    if (p === '/healthz') return send(res, 200, 'text/plain; charset=utf-8', 'ok\n')
    const s = /^\/static\/([a-z.-]+)$/.exec(p)
    if (s && STATIC[s[1]]) {
      const body = await readFile(path.join(PUBLIC, s[1]))
      return send(res, 200, STATIC[s[1]], body, { 'cache-control': 'max-age=300' })
    }
    return page(res, 404, notFoundPage('There is no page at this address.'))
  }

  function fail(res, err) {
    if (res.headersSent) {
      res.destroy(err)
      return
    }
    if (err instanceof PavedError && err.code === 'NOT_FOUND') {
      const what = err.details.what === 'decision' ? `There is no policy decision #${err.details.id}.` : `${err.details.id || 'It'} is not in the catalogue.`
      return page(res, 404, notFoundPage(what))
    }
    if (err instanceof PavedError && err.code === 'VALIDATION') {
      return page(res, 400, errorPage('That request is not valid', err.message))
    }
    console.error(err)
    return page(res, 500, errorPage('Something went wrong', err.code ? `${err.code}: ${err.message}` : String(err)))
  }

  return {
    server,
    feed,
    /** Start the feed and listen; resolves with `{ host, port }`. */
    async start(port = 3000, host = '127.0.0.1') {
      await feed.start()
      await new Promise((resolve, reject) => {
        server.once('error', reject)
        server.listen(port, host, resolve)
      })
      const addr = server.address()
      return { host: addr.address, port: addr.port }
    },
    /** Stop listening and close the feed. */
    async close() {
      await feed.close()
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}

function send(res, status, type, body, headers = {}) {
  res.writeHead(status, { 'content-type': type, ...headers })
  res.end(body)
}

/** Send a page, with the time spent on it as a Server-Timing header (`app;dur=ms`). */
function page(res, status, markup) {
  const body = String(markup)
  const ms = Number(process.hrtime.bigint() - res.startedAt) / 1e6
  send(res, status, 'text/html; charset=utf-8', body, {
    'server-timing': `app;dur=${ms.toFixed(2)}`,
    'cache-control': 'no-store',
    'content-security-policy': "default-src 'self'; style-src 'self'; script-src 'self'; img-src 'self' data:",
    'x-content-type-options': 'nosniff',
  })
}

function changesPage(items) {
  return layout({
    title: 'Recent changes',
    current: 'changes',
    body: html`<h1>Recent changes</h1>
<p>The latest changes to the catalogue, newest first, from every process that writes to it. New changes appear here as they happen.</p>
<ol id="feed" class="changes" aria-live="polite" aria-relevant="additions">${items.map(feedItem)}</ol>
${items.length ? '' : html`<p>No changes yet.</p>`}`,
  })
}

function notFoundPage(message) {
  return errorPage('Not found', message)
}

function errorPage(title, message) {
  return layout({
    title,
    body: html`<h1>${title}</h1>
<p>${message}</p>
<form method="get" action="/" role="search"><label for="q">Search the catalogue</label> <input id="q" name="q" type="search"> <button type="submit">Search</button></form>`,
  })
}
