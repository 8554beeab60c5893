#!/usr/bin/env python3
"""Print catalogue events as they happen, from any process (asyncio).

    python examples/python/watch_events.py --store postgres://postgres@127.0.0.1:5432/paved

then change the catalogue from anywhere, e.g. another terminal::

    python examples/python/onboard_teams.py examples/python/teams.csv \
        --store postgres://postgres@127.0.0.1:5432/paved

On a PostgreSQL store, events committed by other processes (on any host)
arrive too; on SQLite, only this process's. ``--count N`` stops after N
events, ``--idle S`` after S seconds without one (for scripts and CI).
"""

from __future__ import annotations

import argparse
import asyncio
import sys

import paved


def line(event: paved.Event, me: str) -> str:
    """One printed line per event."""
    who = "this process" if event.origin == me else "another process"
    etag = f" etag={event.etag}" if event.etag else ""
    return f"{event.at} #{event.seq} {event.kind:<15} {event.subject} by {event.actor} ({who}){etag}"


async def watch(store: str | None, config: str | None, count: int | None, idle: float | None) -> int:
    """Print events until `count` were seen or `idle` seconds pass without one."""
    async with await paved.AsyncPlatform.open(store, config=config) as platform:
        events = platform.subscribe()
        print(f"watching {platform.store} for catalogue events", flush=True)
        seen = 0
        while count is None or seen < count:
            try:
                event = await asyncio.wait_for(anext(events), timeout=idle)
            except asyncio.TimeoutError:
                print(f"no event for {idle}s; stopping", flush=True)
                break
            except paved.LaggedError as e:
                print(f"missed {e.missed} events (too slow); going on", flush=True)
                continue
            except StopAsyncIteration:
                break
            seen += 1
            print(line(event, platform.origin), flush=True)
        print(f"{seen} events", flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Print catalogue events as they happen.")
    parser.add_argument("--store", help="store URL (default: .paved/paved.db)")
    parser.add_argument("--config", help="a paved.yaml (store and custom kinds)")
    parser.add_argument("--count", type=int, help="stop after this many events")
    parser.add_argument("--idle", type=float, help="stop after this many seconds without an event")
    args = parser.parse_args(argv)
    try:
        return asyncio.run(watch(args.store, args.config, args.count, args.idle))
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
