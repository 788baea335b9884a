"""The headless core and its import rules (docs/architecture.md), checked by parsing every module."""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "hookdev"
# The rules share one parse of the package (modules() below): on one worker, it is made once.
pytestmark = pytest.mark.xdist_group("import_rules")


def imports_of(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@functools.cache
def modules() -> dict[str, set[str]]:
    """Every module's imports, parsed once for all the rules (the package does not change during a run)."""
    return {str(p.relative_to(PACKAGE)): imports_of(p) for p in PACKAGE.rglob("*.py")}


def uses(imported: set[str], top: str) -> bool:
    return any(name == top or name.startswith(top + ".") for name in imported)


def test_core_never_imports_textual():
    offenders = [m for m, imp in modules().items() if not m.startswith(("tui/", "cli/")) and uses(imp, "textual")]
    assert offenders == []


RECEIVER = ("hookdev.receiver.server", "hookdev.receiver.session", "hookdev.receiver.control",
            "hookdev.receiver.commands")
"""The receiver itself; of hookdev.receiver, a view may read only the store."""


def test_tui_is_a_client_of_the_control_channel_and_the_store():
    banned = ("aiohttp", "pyngrok", "jwt", "hookdev.tunnel", "hookdev.answers", "hookdev.auth", *RECEIVER)
    offenders = [(m, b) for m, imp in modules().items() if m.startswith("tui/") for b in banned if uses(imp, b)]
    assert offenders == []
    assert any(uses(imp, "hookdev.control.client") for m, imp in modules().items() if m.startswith("tui/"))


def test_the_control_channel_needs_no_receiver_no_textual_no_aiohttp():
    banned = ("aiohttp", "textual", "hookdev.tui", *RECEIVER)
    offenders = [(m, b) for m, imp in modules().items() if m.startswith("control/") for b in banned if uses(imp, b)]
    assert offenders == []


def test_pyngrok_only_in_tunnel():
    assert [m for m, imp in modules().items() if uses(imp, "pyngrok") and m != "tunnel.py"] == []


def test_jwt_only_in_auth_and_sender():
    assert [
        m for m, imp in modules().items() if uses(imp, "jwt") and not m.startswith("auth/") and m != "send/sender.py"
    ] == []


def test_nothing_imports_cli():
    offenders = [m for m, imp in modules().items() if not m.startswith("cli/") and m != "__main__.py"
                 and uses(imp, "hookdev.cli")]
    assert offenders == []


def test_the_rules_see_real_imports():
    # Guard against a parser that finds nothing: these imports are known to exist.
    found = modules()
    assert uses(found["receiver/server.py"], "aiohttp")
    assert uses(found["cli/__init__.py"], "hookdev.errors")


def private_uses(source: str) -> list[str]:
    """What a module reaches of another's private names: `textual._x` imports, `_x` names imported from
    Textual, `obj._x` on anything but self or cls, and `self._x` that the module itself never sets or defines
    (so a Textual base class's own private attribute)."""
    tree = ast.parse(source)
    own = {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)}
    own |= {target.attr for node in ast.walk(tree) if isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign)
            for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
            if isinstance(target, ast.Attribute)}
    own |= {name.id for node in ast.walk(tree) if isinstance(node, ast.ClassDef) for item in node.body
            if isinstance(item, ast.AnnAssign | ast.Assign)
            for name in (item.targets if isinstance(item, ast.Assign) else [item.target])
            if isinstance(name, ast.Name)}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "textual":
            if "._" in node.module or any(alias.name.startswith("_") for alias in node.names):
                found.append(f"line {node.lineno}: from {node.module} import ...")
        elif isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
            on_self = isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")
            if not on_self or node.attr not in own:
                found.append(f"line {node.lineno}: {ast.unparse(node)}")
    return found


def test_the_inspector_uses_only_textuals_public_api():
    found = {str(p.relative_to(PACKAGE)): private_uses(p.read_text(encoding="utf-8"))
             for p in (PACKAGE / "tui").rglob("*.py")}
    assert {path: uses for path, uses in found.items() if uses} == {}


def test_the_private_api_check_sees_private_uses():
    source = ("from textual._two_way_dict import TwoWayDict\n"
              "class T(DataTable):\n"
              "    def f(self):\n"
              "        self._mine = 1\n"
              "        return self._mine, self._row_locations, table._data\n")
    assert private_uses(source) == ["line 1: from textual._two_way_dict import ...", "line 5: self._row_locations",
                                    "line 5: table._data"]
