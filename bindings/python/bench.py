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

            catalog.get(ref)
            gets = []
            for _ in range(5):
                t = time.perf_counter()
                for _ in range(args.gets):
                    catalog.get(ref)
                gets.append((time.perf_counter() - t) / args.gets)
            py_get = best(gets)

            aplatform = platform.to_async()

            async def async_gets() -> float:
                acatalog = aplatform.catalog
                await acatalog.get(ref)
                samples = []
                for _ in range(5):
                    t = time.perf_counter()
                    for _ in range(args.gets // 4):
                        await acatalog.get(ref)
                    samples.append((time.perf_counter() - t) / (args.gets // 4))
                return best(samples)

            py_aget = asyncio.run(async_gets())

            objects, dicts, names = [], [], []
            for _ in range(args.rounds):
                t = time.perf_counter()
                items = catalog.query_page(limit=args.entities).items
                objects.append(time.perf_counter() - t)
                assert len(items) == args.entities
                t = time.perf_counter()
                _ = [e.name for e in items]
                names.append(time.perf_counter() - t)
                t = time.perf_counter()
                _ = [e.to_dict() for e in items]
                dicts.append(time.perf_counter() - t)
            py_query = best(objects)
            py_names = best(names)
            py_dicts = py_query + best(dicts)
            iterated = []
            for _ in range(max(1, args.rounds // 4)):
                t = time.perf_counter()
                n = sum(1 for _ in catalog.query(page_size=1000))
                iterated.append(time.perf_counter() - t)
                assert n == args.entities
            py_iter = best(iterated)

        runs = []
        for _ in range(3):
            out = subprocess.run(
                [str(BASELINE), store, ref, str(args.gets), str(args.rounds)],
                check=True, capture_output=True, text=True,
            ).stdout
            runs.append(json.loads(out))
        rust_get = best([r["get_seconds"] / r["gets"] for r in runs])
        rust_query = best([r["query_seconds"] / r["query_rounds"] for r in runs])
        assert runs[0]["entities"] == args.entities

    def us(s: float) -> str:
        return f"{s * 1e6:,.1f} µs"

    def ms(s: float) -> str:
        return f"{s * 1e3:,.1f} ms"

    print(f"\n1. trivial call: catalog.get(ref), median of 5 x {args.gets} calls, SQLite")
    print(f"   Rust                       {us(rust_get):>12} per call")
    print(f"   Python (blocking)          {us(py_get):>12} per call   x{py_get / rust_get:.2f} "
          f"(+{us(py_get - rust_get)})")
    print(f"   Python (asyncio, awaited)  {us(py_aget):>12} per call   x{py_aget / rust_get:.2f} "
          f"(+{us(py_aget - rust_get)})")
    print(f"\n2. query returning {args.entities} entities, median of {args.rounds}, SQLite")
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
