"""The committed stubs (python/paved/_native.pyi) match the built native module.

Checked both ways: every public name, class member, property, static method
and parameter (name, kind, default or not) of `paved._native` is in the stub,
and everything in the stub exists at runtime with the same shape. Also: every
public runtime item has a docstring, and `paved.__all__` re-exports exactly
the native module's public names.
"""

from __future__ import annotations

import ast
import inspect
from pathlib import Path
from typing import Any

import pytest

import paved
import paved._native as native

STUB = Path(__file__).resolve().parents[1] / "python" / "paved" / "_native.pyi"

# Members the runtime adds to every class (or that `object` already types).
INFRASTRUCTURE = {
    "__doc__",
    "__module__",
    "__hash__",
    "__repr__",
    "__str__",
    "__ne__",
    "__lt__",
    "__le__",
    "__gt__",
    "__ge__",
    "__class_getitem__",
    "__dict__",
    "__weakref__",
    "__new__",
    "__init__",
}


def public(name: str) -> bool:
    return not name.startswith("_") or (name.startswith("__") and name.endswith("__"))


class StubClass:
    def __init__(self, node: ast.ClassDef) -> None:
        self.node = node
        self.bases = [ast.unparse(b) for b in node.bases]
        self.methods: dict[str, list[ast.FunctionDef]] = {}
        self.properties: set[str] = set()
        self.staticmethods: set[str] = set()
        self.attributes: set[str] = set()
        for item in node.body:
            if isinstance(item, ast.FunctionDef):
                decorators = {ast.unparse(d) for d in item.decorator_list}
                if "property" in decorators:
                    self.properties.add(item.name)
                else:
                    self.methods.setdefault(item.name, []).append(item)
                    if "staticmethod" in decorators:
                        self.staticmethods.add(item.name)
            elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                self.attributes.add(item.target.id)

    def members(self) -> set[str]:
        return set(self.methods) | self.properties | self.attributes


def parse_stub() -> tuple[dict[str, StubClass], dict[str, list[ast.FunctionDef]], set[str]]:
    tree = ast.parse(STUB.read_text())
    classes: dict[str, StubClass] = {}
    functions: dict[str, list[ast.FunctionDef]] = {}
    values: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            classes[node.name] = StubClass(node)
        elif isinstance(node, ast.FunctionDef):
            if node.name.startswith("_"):
                # Private helpers (e.g. `_settle_at_exit`) must exist, nothing more.
                assert callable(getattr(native, node.name, None)), node.name
                continue
            functions.setdefault(node.name, []).append(node)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            if not node.target.id.startswith("_") or node.target.id == "__version__":
                # `_X: TypeAlias = ...` are stub-only helpers.
                if "TypeAlias" not in ast.unparse(node.annotation):
                    values.add(node.target.id)
    return classes, functions, values


CLASSES, FUNCTIONS, VALUES = parse_stub()


def runtime_names() -> set[str]:
    return {n for n in dir(native) if not n.startswith("_")} | {"__version__"}


def stub_params(fn: ast.FunctionDef, method: bool) -> list[tuple[str, str, bool]]:
    """(name, kind, has_default) of each parameter, without self."""
    a = fn.args
    positional = a.posonlyargs + a.args
    defaults = [False] * (len(positional) - len(a.defaults)) + [True] * len(a.defaults)
    out = [(p.arg, "positional", d) for p, d in zip(positional, defaults)]
    if method:
        out = out[1:]
    if a.vararg:
        out.append((a.vararg.arg, "var", False))
    out += [(p.arg, "keyword", d is not None) for p, d in zip(a.kwonlyargs, a.kw_defaults)]
    if a.kwarg:
        out.append((a.kwarg.arg, "varkw", False))
    return out


def runtime_params(obj: Any) -> list[tuple[str, str, bool]]:
    kinds = {
        inspect.Parameter.POSITIONAL_ONLY: "positional",
        inspect.Parameter.POSITIONAL_OR_KEYWORD: "positional",
        inspect.Parameter.VAR_POSITIONAL: "var",
        inspect.Parameter.KEYWORD_ONLY: "keyword",
        inspect.Parameter.VAR_KEYWORD: "varkw",
    }
    params = list(inspect.signature(obj).parameters.values())
    if params and params[0].name in ("self", "$self"):
        params = params[1:]
    return [(p.name, kinds[p.kind], p.default is not inspect.Parameter.empty) for p in params]


def check_signature(where: str, obj: Any, overloads: list[ast.FunctionDef], method: bool) -> None:
    runtime = runtime_params(obj)
    for fn in overloads:
        stub = stub_params(fn, method)
        if len(overloads) > 1:
            # Overloads may narrow defaults (e.g. `fields: _Fields` with no default);
            # names and kinds must still match.
            assert [(n, k) for n, k, _ in stub] == [(n, k) for n, k, _ in runtime], where
        else:
            assert stub == runtime, f"{where}: stub {stub} != runtime {runtime}"


def test_stub_and_module_have_the_same_names() -> None:
    in_stub = set(CLASSES) | set(FUNCTIONS) | VALUES
    assert in_stub == runtime_names(), (
        f"only in the stub: {sorted(in_stub - runtime_names())}; "
        f"only in the module: {sorted(runtime_names() - in_stub)}"
    )


def test_package_reexports_exactly_the_native_names() -> None:
    assert set(paved.__all__) == runtime_names()
    for name in paved.__all__:
        assert getattr(paved, name) is getattr(native, name)


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_functions(name: str) -> None:
    obj = getattr(native, name)
    assert callable(obj)
    assert obj.__doc__, f"{name} has no docstring"
    check_signature(name, obj, FUNCTIONS[name], method=False)


@pytest.mark.parametrize("name", sorted(CLASSES))
def test_classes(name: str) -> None:
    stub = CLASSES[name]
    cls = getattr(native, name)
    assert isinstance(cls, type)
    assert cls.__doc__, f"{name} has no docstring"
    if issubclass(cls, BaseException):
        # Exceptions: same base class; attributes are set per instance (tested
        # where each exception is raised).
        assert [cls.__mro__[1].__name__] == stub.bases, name
        return
    runtime = {k for k in cls.__dict__ if public(k)} - INFRASTRUCTURE
    stub_members = stub.members() - INFRASTRUCTURE - {"__eq__"}
    runtime -= {"__eq__"}
    assert stub_members == runtime, (
        f"{name}: only in the stub: {sorted(stub_members - runtime)}; "
        f"only in the module: {sorted(runtime - stub_members)}"
    )
    for member in sorted(runtime):
        raw = cls.__dict__[member]
        where = f"{name}.{member}"
        if member in stub.properties:
            assert inspect.isdatadescriptor(raw), f"{where} is a property in the stub only"
            assert raw.__doc__, f"{where} has no docstring"
            continue
        assert member in stub.methods, f"{where} is a property at runtime, a method in the stub"
        assert not inspect.isdatadescriptor(raw), f"{where} is a property at runtime"
        assert (member in stub.staticmethods) == isinstance(raw, staticmethod), (
            f"{where}: staticmethod mismatch"
        )
        if type(raw).__name__ == "wrapper_descriptor":
            continue  # slots (__iter__, __len__, …): CPython's own signatures
        if not member.startswith("__"):
            assert raw.__doc__, f"{where} has no docstring"
        bound = member not in stub.staticmethods
        check_signature(where, getattr(cls, member), stub.methods[member], method=bound)
    if "__eq__" in cls.__dict__ and cls.__dict__["__eq__"] is not object.__dict__["__eq__"]:
        assert "__eq__" in stub.methods, f"{name} defines __eq__; declare it in the stub"
