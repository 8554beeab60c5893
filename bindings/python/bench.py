#!/usr/bin/env python3
"""Benchmark of the Python package against the same calls made from Rust.

    python3 bindings/python/bench.py [--gets 20000] [--rounds 20] [--entities 10000]

Builds the release wheel (into its own virtual environment under
target/python/bench-venv) and the Rust baseline
(``paved-python-bench-baseline``, src/bin/bench_baseline.rs), then on one
SQLite file holding ``--entities`` components measures:

1. a trivial call: ``catalog.get(ref)`` from Python (blocking, and awaited on
   asyncio) vs ``catalog().get(ref)`` from Rust, per call;
2. a query returning every entity (10,000) as Python objects: ``Entity``
   objects, then the same with every entity turned into a dict, vs the Rust
   query returning its page of JSON values.

Prints each figure and its ratio to Rust. ``--no-build`` reuses what is built.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
TARGET = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
VENV = TARGET / "python" / "bench-venv"
TOOLS = TARGET / "python" / "tools-venv"
BASELINE = TARGET / "release" / "paved-python-bench-baseline"


def build() -> None:
    """Release wheel into the bench venv, and the release Rust baseline."""
    env = {**os.environ, "CARGO_TARGET_DIR": str(TARGET)}
    if not (TOOLS / "bin" / "maturin").exists():
        subprocess.run([sys.executable, "-m", "venv", str(TOOLS)], check=True)
        subprocess.run([str(TOOLS / "bin" / "python"), "-m", "pip", "install", "-q", "maturin>=1.9,<2"], check=True)
    wheels = TARGET / "python" / "bench-wheels"
    for old in wheels.glob("paved-*.whl"):
        old.unlink()
    subprocess.run(
        [str(TOOLS / "bin" / "maturin"), "build", "--release", "--strip", "--quiet",
         "--manifest-path", str(HERE / "Cargo.toml"), "--out", str(wheels)],
        check=True, env=env,
    )
    subprocess.run(
        ["cargo", "build", "--release", "--quiet", "-p", "paved-python", "--bin", BASELINE.name],
        check=True, env=env, cwd=ROOT,
    )
    if not (VENV / "bin" / "python").exists():
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(VENV)], check=True)
    (wheel,) = wheels.glob("paved-*.whl")
    subprocess.run(
        [str(TOOLS / "bin" / "python"), "-m", "pip", "--python", str(VENV / "bin" / "python"),
         "install", "-q", "--force-reinstall", "--no-deps", "--no-index", str(wheel)],
        check=True,
    )


def component(i: int) -> str:
    return (
        "apiVersion: backstage.io/v1alpha1\nkind: Component\n"
        f"metadata:\n  name: service-{i:05d}\n  description: Synthetic service number {i}\n"
        f"  labels: {{tier: t{i % 3}}}\n  tags: [synthetic, batch-{i % 10}]\n"
        f"spec:\n  type: service\n  lifecycle: production\n  owner: team-{i % 50}\n"
        f"  system: system-{i % 20}\n"
    )


def best(samples: list[float]) -> float:
    """The median of repeated measurements (seconds)."""
    return statistics.median(samples)


def measure(args: argparse.Namespace) -> None:
    import paved  # the release wheel of the bench venv

    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "catalog.yaml"
        source.write_text("---\n".join(component(i) for i in range(args.entities)))
        store = f"sqlite:{tmp}/bench.db"
        ref = f"component:default/service-{args.entities // 2:05d}"
        with paved.Platform.open(store) as platform:
            catalog = platform.catalog
            started = time.perf_counter()
            catalog.import_files(source)
            print(f"setup: imported {args.entities} entities in {time.perf_counter() - started:.1f}s")

            def rust() -> dict[str, float]:
                out = subprocess.run(
                    [str(BASELINE), store, ref, str(args.gets), str(args.rounds)],
                    check=True, capture_output=True, text=True,
                ).stdout
                r = json.loads(out)
                assert r["entities"] == args.entities
                return {"get": r["get_seconds"] / r["gets"], "query": r["query_seconds"] / r["query_rounds"]}

            def python_gets() -> float:
                t = time.perf_counter()
                for _ in range(args.gets):
                    catalog.get(ref)
                return (time.perf_counter() - t) / args.gets

            aplatform = platform.to_async()

            async def async_gets() -> float:
                acatalog = aplatform.catalog
                await acatalog.get(ref)
                n = args.gets // 4
                t = time.perf_counter()
                for _ in range(n):
                    await acatalog.get(ref)
                return (time.perf_counter() - t) / n

            def python_query() -> tuple[float, float, float]:
                t = time.perf_counter()
                items = catalog.query(limit=args.entities).items
                objects = time.perf_counter() - t
                assert len(items) == args.entities
                t = time.perf_counter()
                _ = [e.name for e in items]
                names = time.perf_counter() - t
                t = time.perf_counter()
                _ = [e.to_dict() for e in items]
                return objects, names, time.perf_counter() - t

            def python_iter() -> float:
                t = time.perf_counter()
                n = sum(1 for _ in catalog.query_all(limit=1000))
                assert n == args.entities
                return time.perf_counter() - t

            catalog.get(ref)
            python_query()
            # Interleave the Rust and Python runs so that both see the same load.
            rust_runs, gets, agets, queries, iters = [], [], [], [], []
            for _ in range(5):
                rust_runs.append(rust())
                gets.append(python_gets())
                agets.append(asyncio.run(async_gets()))
                queries += [python_query() for _ in range(max(1, args.rounds // 5))]
                iters.append(python_iter())
            rust_get = best([r["get"] for r in rust_runs])
            rust_query = best([r["query"] for r in rust_runs])
            py_get = best(gets)
            py_aget = best(agets)
            py_query = best([q[0] for q in queries])
            py_names = best([q[1] for q in queries])
            py_dicts = py_query + best([q[2] for q in queries])
            py_iter = best(iters)

    def us(s: float) -> str:
        return f"{s * 1e6:,.1f} µs"

    def ms(s: float) -> str:
        return f"{s * 1e3:,.1f} ms"

    print(f"\n1. trivial call: catalog.get(ref), median of 5 runs of {args.gets} calls, SQLite")
    print(f"   Rust                       {us(rust_get):>12} per call")
    print(f"   Python (blocking)          {us(py_get):>12} per call   x{py_get / rust_get:.2f} "
          f"(+{us(py_get - rust_get)})")
    print(f"   Python (asyncio, awaited)  {us(py_aget):>12} per call   x{py_aget / rust_get:.2f} "
          f"(+{us(py_aget - rust_get)})")
    print(f"\n2. query returning {args.entities} entities (one page), medians, SQLite")
    print(f"   Rust (page of JSON values)          {ms(rust_query):>10}")
    print(f"   Python, Entity objects              {ms(py_query):>10}   x{py_query / rust_query:.2f}")
    print(f"     + reading .name of each           {ms(py_names):>10}")
    print(f"   Python, every entity as a dict      {ms(py_dicts):>10}   x{py_dicts / rust_query:.2f}")
    print(f"   Python, iterating pages of 1,000    {ms(py_iter):>10}   x{py_iter / rust_query:.2f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gets", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--entities", type=int, default=10000)
    parser.add_argument("--no-build", action="store_true", help="use the wheel and baseline already built")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        measure(args)
        return 0
    if not args.no_build:
        build()
    forwarded = [a for a in sys.argv[1:] if a != "--no-build"]
    return subprocess.call([str(VENV / "bin" / "python"), __file__, "--measure", *forwarded])


if __name__ == "__main__":
    sys.exit(main())
