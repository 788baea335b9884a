"""A user's hooks.py type-checks: `from hookdev import hook, HookRequest` carries real types.

The README's own example (unannotated, as most users write it) is checked as plain `mypy hooks.py` checks it;
the annotated version the README suggests, and every `hookdev init` scaffold, pass `mypy --strict`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import hookdev
from hookdev.cli import main
from hookdev.cli.init import GUIDES
from tests.conftest import ROOT


def readme_example() -> str:
    """The README's hooks.py example, word for word."""
    blocks = (ROOT / "README.md").read_text(encoding="utf-8").split("```python\n")[1:]
    [example] = [block.split("```", 1)[0] for block in blocks if "from hookdev import hook" in block]
    return example


# `mypy hooks.py` on a file without annotations: its functions' bodies are not checked, everything else is
# (the imports, and the decorator each function goes through). --strict stays on for all else in the file.
AS_PLAIN_MYPY = "# mypy: allow-untyped-defs, no-check-untyped-defs\n"

ANNOTATED_README_HOOKS = '''\
from typing import Any

from hookdev import HookRequest, hook


def registration(request: HookRequest) -> dict[str, Any]:
    email = request.get("data.userProfile.email", "")
    verdict = "ALLOW" if email.endswith("@example.com") else "DENY"
    print("registration", email, verdict)
    return {"commands": [{"type": "com.okta.action.update", "value": {"registration": verdict}}]}


@hook("/tokenHook")
async def token(request: HookRequest) -> None:
    return None
'''


# mypy takes seconds to start and to read hookdev: every case is checked in one run, on one worker.
pytestmark = pytest.mark.xdist_group("mypy")

CASES: dict[str, str] = {
    "readme": AS_PLAIN_MYPY + readme_example(),
    "readme-annotated": ANNOTATED_README_HOOKS,
    "typo": textwrap.dedent('''\
        from hookdev import HookRequest, hook


        @hook("/tokenHook")
        def token(request: HookRequest) -> str:
            return request.evnts
    '''),
}


def strict_mypy(folder: Path, files: list[str]) -> subprocess.CompletedProcess[str]:
    """`mypy --strict FILES` in folder, seeing hookdev as a user's installed copy."""
    env = dict(os.environ)
    # mypy cannot follow the import hook of an editable install, so it is pointed at the checkout.
    source = Path(hookdev.__file__).resolve().parent.parent
    if source.name not in ("site-packages", "dist-packages"):
        env["MYPYPATH"] = str(source)
    return subprocess.run(
        [
            sys.executable, "-m", "mypy", "--strict", *files,
            "--config-file=",  # no config file: only what --strict asks for
            "--follow-imports=silent",  # as for an installed package: judge the user's file, not hookdev's
            "--cache-dir", str(folder / ".mypy_cache"),
        ],
        cwd=folder, env=env, capture_output=True, text=True, timeout=300,
    )


@pytest.fixture(scope="module")
def findings(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    """mypy's messages per case: the README's example, annotated or not, a typo, and every init scaffold."""
    folder = tmp_path_factory.mktemp("typing")
    files = {}
    for name, text in CASES.items():
        files[name] = f"hooks_{name.replace('-', '_')}.py"
        (folder / files[name]).write_text(text)
    for kind in GUIDES:
        scaffold = folder / "init" / kind
        assert main(["init", kind, "--dir", str(scaffold)]) == 0
        files[kind] = f"hooks_{kind.replace('-', '_')}.py"
        (folder / files[kind]).write_text((scaffold / "hooks.py").read_text())
    result = strict_mypy(folder, sorted(files.values()))
    assert result.returncode in (0, 1) and not result.stderr, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    return {name: [line for line in lines if line.startswith(file + ":")] for name, file in files.items()}


def test_the_readme_example_type_checks_as_written(findings: dict[str, list[str]]) -> None:
    assert "@hook(" in readme_example() and findings["readme"] == []


def test_the_readme_example_annotated_type_checks_strictly(findings: dict[str, list[str]]) -> None:
    assert findings["readme-annotated"] == []


def test_strict_checking_sees_hookdevs_types(findings: dict[str, list[str]]) -> None:
    assert any('"HookRequest" has no attribute "evnts"' in line for line in findings["typo"]), findings["typo"]


@pytest.mark.parametrize("kind", sorted(GUIDES))
def test_every_scaffold_type_checks_strictly(findings: dict[str, list[str]], kind: str) -> None:
    assert findings[kind] == []
