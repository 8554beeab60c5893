#!/usr/bin/env python3
"""Generate ``python/paved/_native.pyi`` from the built ``paved._native``.

Introspects the module: its functions, classes, their methods, static
methods and properties (``__text_signature__`` and docstrings), and the
exception classes. Parameters and results are typed ``Any``: the typed
surface is the Python layer in ``python/paved/*.py``.

    python stubgen.py            # write the stub
    python stubgen.py --check    # fail if the committed stub differs
"""

from __future__ import annotations

import argparse
import inspect
import sys
from pathlib import Path
from typing import Any

STUB = Path(__file__).parent / "python" / "paved" / "_native.pyi"

# Attributes every exception gets when it is raised (set in src/errors.rs),
# which introspection of the class cannot see.
EXCEPTION_ATTRS: dict[str, list[tuple[str, str]]] = {
    "PavedError": [("code", "str"), ("details", "dict[str, Any]")],
    "ValidationError": [("errors", "list[Diagnostic]")],
    "PluginError": [("kind", "str")],
    "LaggedError": [("missed", "int")],
    "PendingApprovalError": [("approval", "str | None")],
    "LockedError": [("resource", "str"), ("holder", "str"), ("operation", "str"), ("expires_at", "str")],
}

# Dunder methods worth declaring (the rest are object's).
DUNDERS = {
    "__aiter__",
    "__anext__",
    "__await__",
    "__aenter__",
    "__aexit__",
    "__iter__",
    "__next__",
    "__len__",
    "__bool__",
    "__eq__",
}


def doc_lines(obj: Any, indent: str) -> list[str]:
    doc = inspect.getdoc(obj)
    if not doc or doc.startswith(("Initialize self", "Return ", "Implement ")):
        return []
    doc = doc.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    lines = doc.splitlines()
    if len(lines) == 1:
        return [f'{indent}"""{lines[0]}"""']
    return [f'{indent}"""{lines[0]}'] + [f"{indent}{l}" if l else "" for l in lines[1:]] + [f'{indent}"""']


def default(value: Any) -> str:
    if value is None or isinstance(value, (bool, int, float, str)):
        return repr(value)
    return "..."


def params(obj: Any, method: bool) -> str:
    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError):
        return "self, *args: Any, **kwargs: Any" if method else "*args: Any, **kwargs: Any"
    out: list[str] = []
    star = False
    for p in sig.parameters.values():
        if p.name in ("self", "$self", "cls"):
            out.append(p.name.lstrip("$"))
            continue
        if p.kind is p.VAR_POSITIONAL:
            out.append(f"*{p.name}: Any")
            star = True
            continue
        if p.kind is p.VAR_KEYWORD:
            out.append(f"**{p.name}: Any")
            continue
        if p.kind is p.KEYWORD_ONLY and not star:
            out.append("*")
            star = True
        text = f"{p.name}: Any"
        if p.default is not p.empty:
            text += f" = {default(p.default)}"
        out.append(text)
        if p.kind is p.POSITIONAL_ONLY and not any(
            q.kind is q.POSITIONAL_ONLY for q in list(sig.parameters.values())[len(out) :]
        ):
            pass
    if method and (not out or out[0] != "self"):
        out.insert(0, "self")
    return ", ".join(out)


def function(name: str, obj: Any, indent: str, method: bool) -> list[str]:
    body = doc_lines(obj, indent + "    ")
    head = f"{indent}def {name}({params(obj, method)}) -> Any:"
    return [head] + body if body else [head + " ..."]


def klass(name: str, cls: type, module: Any) -> list[str]:
    if issubclass(cls, BaseException):
        base = cls.__bases__[0]
        base_name = base.__name__ if getattr(module, base.__name__, None) is base else "Exception"
        lines = [f"class {name}({base_name}):"]
        lines += doc_lines(cls, "    ")
        for attr, kind in EXCEPTION_ATTRS.get(name, []):
            lines.append(f"    {attr}: {kind}")
        if len(lines) == 1:
            lines[0] += " ..."
        return lines
    lines = [f"class {name}:"]
    lines += doc_lines(cls, "    ")
    for attr, value in sorted(vars(cls).items()):
        if attr.startswith("__") and attr not in DUNDERS:
            continue
        if attr.startswith("_") and not attr.startswith("__"):
            continue
        if isinstance(value, staticmethod):
            lines.append("    @staticmethod")
            lines += function(attr, value.__func__, "    ", method=False)
        elif inspect.isgetsetdescriptor(value) or isinstance(value, property):
            lines.append("    @property")
            head = f"    def {attr}(self) -> Any:"
            body = doc_lines(value, "        ")
            lines += [head] + body if body else [head + " ..."]
        elif callable(value):
            static = inspect.isbuiltin(getattr(cls, attr)) and getattr(
                getattr(cls, attr), "__self__", None
            ) is cls
            if static:
                lines.append("    @staticmethod")
            lines += function(attr, getattr(cls, attr), "    ", method=not static)
    if len(lines) == 1:
        lines[0] += " ..."
    return lines


def generate() -> str:
    from paved import _native

    out = [
        "# Generated by bindings/python/stubgen.py from the built paved._native; do not edit.",
        "# The typed API is the Python layer (python/paved/*.py).",
        "",
        "from typing import Any",
        "",
        "__version__: str",
        "",
    ]
    names = sorted(n for n in dir(_native) if not n.startswith("_"))
    classes = [(n, getattr(_native, n)) for n in names if inspect.isclass(getattr(_native, n))]
    # Bases before subclasses (exceptions).
    classes.sort(key=lambda nc: (len(nc[1].__mro__), nc[0]))
    for n in names:
        obj = getattr(_native, n)
        if callable(obj) and not inspect.isclass(obj):
            out += function(n, obj, "", method=False)
            out.append("")
    for n, cls in classes:
        out += klass(n, cls, _native)
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the stub is out of date")
    args = parser.parse_args()
    text = generate()
    if args.check:
        if not STUB.exists() or STUB.read_text() != text:
            print(
                f"{STUB} is out of date; run: python bindings/python/stubgen.py",
                file=sys.stderr,
            )
            return 1
        print(f"{STUB.name} is up to date")
        return 0
    STUB.write_text(text)
    print(f"wrote {STUB}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
