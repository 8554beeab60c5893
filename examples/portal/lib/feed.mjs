// The "recent changes" feed: the audit log as it grows, pushed to browsers
// over server-sent events.
//
//   platform.subscribe() --event--> catchUp() --audit.list({after})--> items --> SSE clients
//   (SQLite only) timer  --------->
//
// Items are audit records, so every change shows once, in order, whichever
// process made it. Events wake the feed at once: this process's changes, and
// on PostgreSQL every process's (LISTEN/NOTIFY). A SQLite store does not push
// other processes' changes, so on SQLite the feed also checks the audit log
// every `pollMs` (a cheap indexed read of records after the last seq seen).

import { PavedError } from 'paved'

import { actionLabel } from './layout.mjs'
import { subjectLink } from './refs.mjs'

/** How many items the feed keeps in memory (and shows on /changes). */
export const KEEP = 100

export class Feed {
  /**
   * @param {import('paved').Platform} platform
   * @param {{ pollMs?: number }} [options] pollMs: 0 turns polling off; by
   *   default it is on for SQLite stores (1000 ms) and off otherwise.
   */
  constructor(platform, options = {}) {
    this.platform = platform
    this.items = []
    this.lastSeq = 0
    this.clients = new Set()
    this.running = null
    this.again = false
    const sqlite = platform.storeDescription.startsWith('sqlite')
    this.pollMs = options.pollMs ?? (sqlite ? 1000 : 0)
  }

  /** Load the newest records, then follow events (and the poll timer). */
  async start() {
    const newest = await this.newestRecords(KEEP)
    this.items = newest.map(toItem)
    this.lastSeq = newest.length ? newest[newest.length - 1].seq : 0
    this.subscription = this.platform.subscribe()
    this.follow = this.followEvents()
    if (this.pollMs > 0) {
      this.timer = setInterval(() => this.catchUp(), this.pollMs)
      this.timer.unref()
    }
  }

  /**
   * Catch up on every event until the subscription closes. A feed that fell
   * behind gets a LAGGED error once: the audit log still has every record the
   * lost events announced, so it catches up and follows on.
   */
  async followEvents() {
    for (;;) {
      try {
        for await (const _event of this.subscription) this.catchUp()
        return
      } catch (err) {
        if (!(err instanceof PavedError && err.code === 'LAGGED')) throw err
        this.catchUp()
      }
    }
  }

  /** The last `n` audit records, oldest first. */
  async newestRecords(n) {
    const head = await this.headSeq()
    return this.platform.audit.list({ after: Math.max(0, head - n), limit: n })
  }

  /**
   * The newest record's seq. The log is read forward from a seq and seqs have
   * no gaps (1, 2, 3, …), so the head is found by doubling then bisecting:
   * about 2·log2(records) one-record reads.
   */
  async headSeq() {
    const exists = async (seq) => (await this.platform.audit.list({ after: seq - 1, limit: 1 })).length > 0
    if (!(await exists(1))) return 0
    let lo = 1
    let hi = 2
    while (await exists(hi)) {
      lo = hi
      hi *= 2
    }
    // exists(lo) and !exists(hi)
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2)
      if (await exists(mid)) lo = mid
      else hi = mid
    }
    return lo
  }

  /** Fetch records after the last one seen and push them; one fetch at a time. */
  catchUp() {
    if (this.running) {
      this.again = true
      return this.running
    }
    this.running = (async () => {
      try {
        do {
          this.again = false
          const records = await this.platform.audit.list({ after: this.lastSeq, limit: 500 })
          for (const r of records) this.push(r)
        } while (this.again)
      } catch (err) {
        console.error(`feed: cannot read the audit log: ${err.message}`)
      } finally {
        this.running = null
      }
    })()
    return this.running
  }

  push(record) {
    if (record.seq <= this.lastSeq) return
    this.lastSeq = record.seq
    const item = toItem(record)
    this.items.push(item)
    if (this.items.length > KEEP) this.items.shift()
    const message = `id: ${item.seq}\nevent: change\ndata: ${JSON.stringify(item)}\n\n`
    for (const res of this.clients) res.write(message)
  }

  /** The newest items first. */
  recent(n = 20) {
    return this.items.slice(-n).reverse()
  }

  /** Serve GET /events: an SSE stream, resuming after Last-Event-ID. */
  serve(req, res) {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
    })
    res.write('retry: 2000\n\n')
    // A reconnect says where it stopped (Last-Event-ID); a page's first
    // connection says which item it was drawn with (?after=), so nothing
    // pushed between drawing the page and connecting is lost.
    const drawnWith = new URL(req.url, 'http://portal').searchParams.get('after')
    const after = Number(req.headers['last-event-id'] || drawnWith || 0)
    if (after > 0 || drawnWith !== null) {
      for (const item of this.items.filter((i) => i.seq > after)) {
        res.write(`id: ${item.seq}\nevent: change\ndata: ${JSON.stringify(item)}\n\n`)
      }
    }
    this.clients.add(res)
    const ping = setInterval(() => res.write(': ping\n\n'), 15000)
    ping.unref()
    req.on('close', () => {
      clearInterval(ping)
      this.clients.delete(res)
    })
  }

  /** Stop following; close every stream. */
  async close() {
    if (this.timer) clearInterval(this.timer)
    if (this.subscription) this.subscription.close()
    await this.follow
    for (const res of this.clients) res.end()
    this.clients.clear()
  }
}

/**
 * What the feed shows of an audit record: the page and the browser's
 * feed.js render it as given (`label`, `href` (null: nothing to link to),
 * `verb`), so the words and links are made in one place.
 */
export function toItem(record) {
  const { label, href } = subjectLink(record.subject, record.action)
  return {
    seq: record.seq,
    at: record.at,
    actor: record.actor,
    action: record.action,
    subject: record.subject,
    label,
    href,
    // A provider call that failed is audited too, with its error.
    verb: record.details && record.details.error ? `${actionLabel(record.action)} (failed)` : actionLabel(record.action),
    origin: record.details && record.details.origin,
  }
}
