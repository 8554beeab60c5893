#!/usr/bin/env python3
"""Package an already built `_native` extension into a wheel (test builds only).

    python3 bindings/python/wheel.py --lib target/debug/lib_native.so --out target/python/wheels

Why: maturin compiles the extension with the binding crate's own feature
set, which differs from `cargo test --workspace`'s (dev-dependency features
such as tokio's `test-util` are unified there), so a maturin dev build
compiles wasmtime and the engine a second time. test.sh instead builds the
extension inside the workspace build (`cargo build --workspace --lib
--tests`, same features and profile as the test command) and this script lays
out the same files maturin would: the `paved` package from python/paved, the
extension as `paved/_native.abi3.so`, and the dist-info (METADATA, WHEEL,
RECORD). Release wheels (README, bench.py) are built by maturin.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import re
import sysconfig
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


def version() -> str:
    """`[workspace.package] version` of the root Cargo.toml."""
    text = (ROOT / "Cargo.toml").read_text()
    section = text.split("[workspace.package]", 1)[1]
    match = re.search(r'^version\s*=\s*"([^"]+)"', section, re.MULTILINE)
    if not match:
        raise SystemExit("no [workspace.package] version in Cargo.toml")
    return match.group(1)


def record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lib", required=True, type=Path, help="the built lib_native.so")
    parser.add_argument("--out", required=True, type=Path, help="folder for the wheel")
    args = parser.parse_args()

    ver = version()
    platform = re.sub(r"[-.]", "_", sysconfig.get_platform())
    tag = f"cp310-abi3-{platform}"
    dist_info = f"paved-{ver}.dist-info"
    pyproject = (HERE / "pyproject.toml").read_text()
    summary = re.search(r'^description\s*=\s*"([^"]+)"', pyproject, re.MULTILINE)
    files: dict[str, bytes] = {}
    for source in sorted((HERE / "python" / "paved").iterdir()):
        if source.is_file() and source.suffix in (".py", ".pyi", ".typed"):
            files[f"paved/{source.name}"] = source.read_bytes()
    files["paved/_native.abi3.so"] = args.lib.read_bytes()
    files[f"{dist_info}/METADATA"] = (
        "Metadata-Version: 2.1\nName: paved\n"
        f"Version: {ver}\nSummary: {summary.group(1) if summary else 'paved'}\n"
        "Requires-Python: >=3.10\nLicense: Apache-2.0\n"
    ).encode()
    files[f"{dist_info}/WHEEL"] = (
        f"Wheel-Version: 1.0\nGenerator: paved wheel.py\nRoot-Is-Purelib: false\nTag: {tag}\n"
    ).encode()
    record = [record_line(name, data) for name, data in files.items()]
    record.append(f"{dist_info}/RECORD,,")
    files[f"{dist_info}/RECORD"] = ("\n".join(record) + "\n").encode()

    args.out.mkdir(parents=True, exist_ok=True)
    wheel = args.out / f"paved-{ver}-{tag}.whl"
    with zipfile.ZipFile(wheel, "w", compression=zipfile.ZIP_STORED) as z:
        for name, data in files.items():
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = (0o755 if name.endswith(".so") else 0o644) << 16
            z.writestr(info, data)
    print(wheel)


if __name__ == "__main__":
    main()
