"""Counts in what hookdev says read as a person would write them: "1 problem", "2 problems", never "problem(s)"."""

from __future__ import annotations

import ast
import re

from hookdev.io.render import plural
from tests.conftest import ROOT

HEDGED = re.compile(r"\b(?!http\(s\))[A-Za-z]+\(s\)")
"""A noun with "(s)" stuck on: "hook(s)", "call(s)" ("http(s)" is a URL scheme, not a count)."""


def hedged_plurals(source: str) -> list[str]:
    """The string constants of a module (f-string parts included) that hedge a plural."""
    return [node.value for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and HEDGED.search(node.value)]


def test_no_message_hedges_a_plural() -> None:
    found = {str(path.relative_to(ROOT)): hits for path in sorted((ROOT / "hookdev").rglob("*.py"))
             if (hits := hedged_plurals(path.read_text(encoding="utf-8")))}
    assert found == {}, f"use plural() or say the count: {found}"


def test_the_check_sees_a_hedged_plural_in_an_f_string() -> None:
    assert hedged_plurals('n = 2\nprint(f"{n} hook(s) in the org, {n} problem(s)")') == [" hook(s) in the org, ",
                                                                                           " problem(s)"]
    assert hedged_plurals('print("must be an http(s) URL")') == []


def test_plural_says_the_count_with_the_right_noun() -> None:
    assert [plural(n, "problem") for n in (0, 1, 2)] == ["0 problems", "1 problem", "2 problems"]


def test_the_readme_and_docs_hedge_no_plural() -> None:
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        text = path.read_text(encoding="utf-8")
        assert not HEDGED.search(text), f"{path.name}: {HEDGED.search(text)}"
