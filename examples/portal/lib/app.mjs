// The portal's HTTP server (node:http): routes to pages, static files and the
// live feed. Everything is server-rendered HTML; feed.js makes the "recent
// changes" list live, and on the golden-path pages paths.js draws a
// template's form with the form library (@json-editor/json-editor, served
// from node_modules) and follows a run's progress.
//
//   GET /                               catalogue: search, filters, paging
//   GET /catalog/:namespace/:kind/:name entity page (groups: what they own)
//   GET /decisions/:id                  a policy decision and its explanation
//   GET /resources[?owner=group ref]    resources per team: state, drift, lease
//   GET /approvals[?status=]            changes held for approval
//   GET /approvals/:id                  one request: why, who may approve
//   POST /approvals/:id/approve|reject  decide it as the signed-in user
//   GET /paths                          golden paths ("Create"): the templates
//   GET /paths/:namespace/:name         a template's form (POST: the form again, with answers)
//   POST /paths/:namespace/:name/preview  dry run: the ChangeSet, or the answers' problems
//   POST /paths/:namespace/:name/run    run what was previewed, as the signed-in user
//   GET /paths/runs                     recent runs
//   GET /paths/runs/:id                 a run: live steps, then its outcome
//   GET /paths/runs/:id/events          the run's progress as server-sent events
//   GET /changes                        recent changes
//   GET /events                         the feed as server-sent events
//   GET /static/*                       CSS, feed.js, paths.js and the form library
//   GET /healthz                        "ok" once the portal is ready

import { readFile } from 'node:fs/promises'
import http from 'node:http'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

import { PavedError } from 'paved'

import { approvalPage, approvalsPage, readStatus } from './approvals-page.mjs'
import { catalogPage, loadCatalog, readState } from './catalog-page.mjs'
import { decisionPage, entityPage, loadEntity } from './entity-page.mjs'
import { Feed } from './feed.mjs'
import { html } from './html.mjs'
import { feedItem, layout } from './layout.mjs'
import { locationsPage } from './locations-page.mjs'
import { LiveRuns } from './paths-live.mjs'
import { deniedPage, previewPage, runPage, runPath, runsPage, templatePage, templatesPage } from './paths-page.mjs'
import { loadResources, readOwner, resourcesPage } from './resources-page.mjs'

const PUBLIC = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'public')
const STATIC = {
  'portal.css': 'text/css; charset=utf-8',
  'feed.js': 'text/javascript; charset=utf-8',
  'paths.js': 'text/javascript; charset=utf-8',
}
/** Static files served from npm packages: the form library's browser build. */
const PACKAGED = {
  'jsoneditor.js': createRequire(import.meta.url).resolve('@json-editor/json-editor'),
}

/** Form bodies larger than this are refused (approvals; golden-path answers may be larger). */
const MAX_FORM = 4096
const MAX_ANSWERS = 256 * 1024

/**
 * A portal on an open platform. `start()` resolves with the bound address.
 *
 * Who is using it comes from the sign-in proxy in front of it (oauth2-proxy,
 * a company SSO gateway): the `userHeader` request header (default
 * `x-forwarded-user`) names the user, as a ref or a bare name in the default
 * namespace. The portal only acts as that user for approvals, and the engine
 * decides whether the user may; bind the portal where only the proxy can
 * reach it.
 * @param {import('paved').Platform} platform
 * @param {{ pollMs?: number, userHeader?: string }} [options] pollMs: see Feed
 */
export function createPortal(platform, options = {}) {
  const feed = new Feed(platform, options)
  const live = new LiveRuns(platform)
  const userHeader = (options.userHeader || 'x-forwarded-user').toLowerCase()
  const server = http.createServer((req, res) => {
    res.startedAt = process.hrtime.bigint()
    handle(req, res).catch((err) => fail(res, err))
  })
  server.keepAliveTimeout = 5000

  async function handle(req, res) {
    const url = new URL(req.url, 'http://portal.invalid')
    const p = url.pathname
    const decide = /^\/approvals\/([0-9a-z]+)\/(approve|reject)$/.exec(p)
    if (req.method === 'POST' && decide) return decideApproval(req, res, decide[1], decide[2])
    if (req.method === 'POST' && p === '/locations/refresh') return refreshLocations(req, res)
    const pathPost = /^\/paths\/([^/]+)\/([^/]+)(?:\/(preview|run))?\/?$/.exec(p)
    if (req.method === 'POST' && pathPost && pathPost[1] !== 'runs') {
      const [namespace, name] = pathPost.slice(1, 3).map(decodeURIComponent)
      return postPath(req, res, `template:${namespace}/${name}`, pathPost[3] || 'edit')
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return send(res, 405, 'text/plain; charset=utf-8', 'Only GET is supported here.\n', { allow: 'GET, HEAD' })
    }
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
    if (p === '/resources') {
      const owner = readOwner(url)
      return page(res, 200, resourcesPage(await loadResources(platform, owner), owner, feed.recent()))
    }
    if (p === '/locations') {
      const done = url.searchParams.get('done')
      const notice = done ? { ok: done === 'refreshed', text: done === 'refreshed' ? 'Refreshed every location.' : 'Some locations could not be refreshed: see below.' } : null
      return page(res, 200, locationsPage(await platform.catalog.locations(), notice, feed.recent()))
    }
    if (p === '/approvals') {
      const status = readStatus(url)
      const list = await platform.approvals.list(status ? { status } : {})
      return page(res, 200, approvalsPage(list, status, userOf(req), feed.recent()))
    }
    const a = /^\/approvals\/([0-9a-z]+)\/?$/.exec(p)
    if (a) {
      const done = url.searchParams.get('done')
      const notice = done === 'approved' || done === 'rejected' ? { ok: true, text: `You ${done} this request.` } : null
      return page(res, 200, approvalPage(await platform.approvals.get(a[1]), userOf(req), notice, feed.recent()))
    }
    if (p === '/paths' || p === '/paths/') return page(res, 200, templatesPage(await platform.paths.list(), feed.recent()))
    if (p === '/paths/runs' || p === '/paths/runs/') {
      return page(res, 200, runsPage(await platform.paths.runs(undefined, { limit: 50 }), feed.recent()))
    }
    const run = /^\/paths\/runs\/([0-9a-z]+)(\/events)?$/.exec(p)
    if (run && run[2]) return live.serve(req, res, run[1])
    if (run) return page(res, 200, runPage(await platform.paths.runInfo(run[1]), feed.recent()))
    const template = /^\/paths\/([^/]+)\/([^/]+)\/?$/.exec(p)
    if (template) {
      const [namespace, name] = template.slice(1).map(decodeURIComponent)
      const t = await platform.paths.show(`template:${namespace}/${name}`)
      return page(res, 200, templatePage(t, { user: userOf(req) }, feed.recent()))
    }
    if (p === '/changes') return page(res, 200, changesPage(feed.recent(100)))
    if (p === '/events') return feed.serve(req, res)
    if (p === '/healthz') return send(res, 200, 'text/plain; charset=utf-8', 'ok\n')
    const s = /^\/static\/([a-z.-]+)$/.exec(p)
    if (s && STATIC[s[1]]) {
      const body = await readFile(path.join(PUBLIC, s[1]))
      return send(res, 200, STATIC[s[1]], body, { 'cache-control': 'max-age=300' })
    }
    if (s && PACKAGED[s[1]]) {
      const body = await readFile(PACKAGED[s[1]])
      return send(res, 200, 'text/javascript; charset=utf-8', body, { 'cache-control': 'max-age=3600' })
    }
    return page(res, 404, notFoundPage('There is no page at this address.'))
  }

  /** The signed-in user, as an actor ref (none: not signed in). */
  function userOf(req) {
    const name = String(req.headers[userHeader] || '').trim()
    if (!name) return null
    return name.includes(':') ? name : `user:default/${name}`
  }

  /**
   * POST /locations/refresh: re-read every location as the signed-in user
   * (the portal's actor when none); what it did is on /locations.
   */
  async function refreshLocations(req, res) {
    if (!sameOrigin(req)) return send(res, 403, 'text/plain; charset=utf-8', 'Cross-site form posts are refused.\n')
    await readForm(req)
    const report = await platform.catalog.refresh(undefined, { actor: userOf(req) || undefined })
    const failed = report.locations.some((l) => l.error)
    res.writeHead(303, { location: `/locations?done=${failed ? 'failed' : 'refreshed'}` })
    res.end()
  }

  /**
   * POST /approvals/:id/approve|reject from the request's page: the
   * signed-in user decides; the engine's answer is shown on the page.
   */
  async function decideApproval(req, res, id, verb) {
    const user = userOf(req)
    if (!sameOrigin(req)) return send(res, 403, 'text/plain; charset=utf-8', 'Cross-site form posts are refused.\n')
    if (!user) return page(res, 401, errorPage('Sign in first', 'Approving and rejecting need to know who you are: sign in through your portal\'s proxy.'))
    const form = await readForm(req)
    const note = (form.get(verb === 'approve' ? 'comment' : 'reason') || '').trim() || undefined
    try {
      if (verb === 'approve') await platform.approvals.approve(id, { actor: user, comment: note })
      else await platform.approvals.reject(id, { actor: user, reason: note })
    } catch (err) {
      if (!(err instanceof PavedError) || !['DENIED', 'VALIDATION', 'CONFLICT'].includes(err.code)) throw err
      const status = { DENIED: 403, VALIDATION: 409, CONFLICT: 409 }[err.code]
      return page(res, status, approvalPage(await platform.approvals.get(id), user, { ok: false, text: err.message }, feed.recent()))
    }
    res.writeHead(303, { location: `/approvals/${id}?done=${verb === 'approve' ? 'approved' : 'rejected'}` })
    res.end()
  }

  /**
   * POST to a golden path: `edit` (the form again, with the answers given),
   * `preview` (the dry run; the answers' problems beside their fields when
   * the engine refuses them) or `run` (as the signed-in user, exactly what
   * was previewed: the preview's digest goes with it).
   */
  async function postPath(req, res, ref, verb) {
    if (!sameOrigin(req)) return send(res, 403, 'text/plain; charset=utf-8', 'Cross-site form posts are refused.\n')
    const t = await platform.paths.show(ref)
    const user = userOf(req)
    const form = await readForm(req, MAX_ANSWERS)
    let values
    try {
      values = JSON.parse(form.get('parameters') || '{}')
      if (!values || typeof values !== 'object' || Array.isArray(values)) throw new Error('expected a mapping of parameter names to values')
    } catch (err) {
      const errors = [{ path: 'parameters', message: `the answers are not JSON: ${err.message}` }]
      return page(res, 400, templatePage(t, { values: {}, errors, user }, feed.recent()))
    }
    if (verb === 'edit') return page(res, 200, templatePage(t, { values, user }, feed.recent()))
    const options = { actor: user || undefined }
    if (verb === 'preview') {
      try {
        const plan = await platform.paths.dryRun(ref, values, options)
        return page(res, 200, previewPage(t, plan, values, user, feed.recent()))
      } catch (err) {
        if (!(err instanceof PavedError) || err.code !== 'VALIDATION') throw err
        return page(res, 422, templatePage(t, { values, errors: err.details.diagnostics || [], user }, feed.recent()))
      }
    }
    if (!user) return page(res, 401, errorPage('Sign in first', 'Running a golden path needs to know who you are: sign in through your portal\'s proxy.'))
    try {
      const id = await live.start(ref, values, { ...options, expectDigest: form.get('digest') || undefined })
      res.writeHead(303, { location: runPath(id) })
      return res.end()
    } catch (err) {
      if (!(err instanceof PavedError)) throw err
      if (err.code === 'DENIED') return page(res, 403, deniedPage(t, err, feed.recent()))
      if (err.code === 'VALIDATION') {
        const diagnostics = err.details.diagnostics || []
        if (diagnostics.length && diagnostics.every((d) => d.path === 'expectDigest')) {
          // What it would do changed since the preview (the template, the
          // catalogue): nothing ran; show what it would do now.
          const plan = await platform.paths.dryRun(ref, values, options)
          const notice = 'What this would do changed since you previewed it, so it was not run. This is what it would do now.'
          return page(res, 409, previewPage(t, plan, values, user, feed.recent(), notice))
        }
        return page(res, 409, templatePage(t, { values, errors: diagnostics, user }, feed.recent()))
      }
      throw err
    }
  }

  function fail(res, err) {
    if (res.headersSent) {
      res.destroy(err)
      return
    }
    if (err instanceof PavedError && err.code === 'NOT_FOUND') {
      const what =
        err.details.what === 'decision'
          ? `There is no policy decision #${err.details.id}.`
          : err.details.what === 'approval'
            ? `There is no request ${err.details.id}.`
            : err.details.what === 'run'
              ? `There is no golden-path run ${err.details.id}.`
              : `${err.details.id || 'It'} is not in the catalogue.`
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
      live.close()
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}

/** A form post from one of the portal's own pages (the browser says so). */
function sameOrigin(req) {
  const site = req.headers['sec-fetch-site']
  if (site) return site === 'same-origin'
  const origin = req.headers.origin
  return !origin || origin === `http://${req.headers.host}` || origin === `https://${req.headers.host}`
}

/** An urlencoded form body, at most `max` bytes. */
async function readForm(req, max = MAX_FORM) {
  let body = ''
  for await (const chunk of req) {
    body += chunk
    if (body.length > max) throw new PavedError(`the form is larger than ${max} bytes`, 'VALIDATION', {})
  }
  return new URLSearchParams(body)
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
