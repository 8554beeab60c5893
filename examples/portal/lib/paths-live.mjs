// Golden-path runs as they happen: the portal starts a run, learns its id
// from the first progress report, and keeps reading the run's progress
// (platform.paths.run(...) is a promise of the record and an async
// iterator of progress) so that every browser on the run's page gets each
// step as server-sent events (/paths/runs/:id/events).
//
//   paths.run() --progress--> LiveRuns (events so far, per run) --SSE--> browsers
//
// A run this process is not running (another portal's, a CLI's, or one
// finished a while ago) is followed by reading its record every second
// (runInfo) and telling each step's new status. A run's events are kept
// while it runs and for a minute after; past that, the record says it all.

const KEEP_FINISHED_MS = 60000
/** The most progress reports kept per run (steps and log lines). */
const KEEP_EVENTS = 2000
const POLL_MS = 1000

export class LiveRuns {
  /** @param {import('paved').Platform} platform */
  constructor(platform) {
    this.platform = platform
    this.runs = new Map()
    this.clients = new Set()
  }

  /**
   * Start a run. Resolves with its id once it has one (its first progress
   * report) or once it is over; rejects as the engine refuses it (a policy
   * denied it, the answers are not valid, the preview no longer holds), in
   * which case nothing was done.
   */
  async start(template, parameters, options) {
    const run = this.platform.paths.run(template, parameters, options)
    const progress = run[Symbol.asyncIterator]()
    const settled = Promise.resolve(run).then(
      (record) => ({ record }),
      (error) => ({ error }),
    )
    const next = progress.next()
    const first = await Promise.race([next.then((step) => ({ step })), settled])
    if (first.error) {
      await progress.return?.()
      throw first.error
    }
    const step = first.step || (await next)
    let id = step.done ? null : step.value.run
    if (id === null) {
      // No progress at all: the record says which run it was.
      const end = await settled
      if (end.error) throw end.error
      id = end.record.id
    }
    const live = { id, events: [], done: false, clients: new Set() }
    this.runs.set(id, live)
    if (!step.done) this.push(live, step.value)
    this.follow(live, step.done ? null : progress, settled)
    return id
  }

  async follow(live, progress, settled) {
    try {
      while (progress) {
        const { value, done } = await progress.next()
        if (done) break
        this.push(live, value)
      }
    } catch (err) {
      console.error(`run ${live.id}: lost its progress: ${err.message}`)
    }
    const { error } = await settled
    if (error) console.error(`run ${live.id}: ${error.code || ''} ${error.message}`)
    if (!live.events.some((e) => e.status === 'finished')) {
      // The record says how it ended; the page reads it.
      this.push(live, { run: live.id, status: 'finished', message: error ? 'failed' : 'done' })
    }
    live.done = true
    for (const res of live.clients) res.end()
    live.clients.clear()
    setTimeout(() => this.runs.delete(live.id), KEEP_FINISHED_MS).unref()
  }

  push(live, event) {
    if (live.events.length < KEEP_EVENTS) live.events.push(event)
    for (const res of live.clients) send(res, event)
  }

  /** Serve GET /paths/runs/:id/events: the run's progress so far, then as it comes. */
  serve(req, res, id) {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
    })
    res.write('retry: 2000\n\n')
    this.clients.add(res)
    const ping = setInterval(() => res.write(': ping\n\n'), 15000)
    ping.unref()
    let stop = () => {}
    req.on('close', () => {
      clearInterval(ping)
      stop()
      this.clients.delete(res)
    })
    const live = this.runs.get(id)
    if (live) {
      for (const event of live.events) send(res, event)
      if (live.done) return res.end()
      live.clients.add(res)
      stop = () => live.clients.delete(res)
      return
    }
    stop = this.poll(res, id)
  }

  /** Follow a run this process does not run by reading its record; returns a stop function. */
  poll(res, id) {
    const seen = new Map()
    let logged = 0
    let timer = null
    let stopped = false
    const tick = async () => {
      timer = null
      let record
      try {
        record = await this.platform.paths.runInfo(id)
      } catch (err) {
        send(res, { run: id, status: 'finished', message: err.code === 'NOT_FOUND' ? 'no such run' : err.message })
        return res.end()
      }
      if (stopped) return
      for (const s of record.steps) {
        if (seen.get(s.id) === s.status) continue
        seen.set(s.id, s.status)
        send(res, { run: id, step: s.id, status: s.status, message: s.error || s.name })
      }
      for (const line of (record.log || []).slice(logged)) send(res, { run: id, status: 'log', message: line })
      logged = (record.log || []).length
      if (record.status !== 'running') {
        send(res, { run: id, status: 'finished', message: record.status })
        return res.end()
      }
      timer = setTimeout(tick, POLL_MS)
    }
    tick()
    return () => {
      stopped = true
      if (timer) clearTimeout(timer)
    }
  }

  /** Close every stream (the runs themselves go on to their end). */
  close() {
    for (const res of this.clients) res.end()
    this.clients.clear()
  }
}

function send(res, event) {
  res.write(`event: progress\ndata: ${JSON.stringify(event)}\n\n`)
}
