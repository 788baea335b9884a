"""A user's typed hooks.py passes `mypy --strict`: `from hookdev import hook, HookRequest` carries real types."""

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

README_HOOKS = '''\
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


def strict_mypy(folder: Path) -> subprocess.CompletedProcess[str]:
    """`mypy --strict hooks.py` in folder, seeing hookdev as a user's installed copy."""
    env = dict(os.environ)
    # mypy cannot follow the import hook of an editable install, so it is pointed at the checkout.
    source = Path(hookdev.__file__).resolve().parent.parent
    if source.name not in ("site-packages", "dist-packages"):
        env["MYPYPATH"] = str(source)
    return subprocess.run(
        [
            sys.executable, "-m", "mypy", "--strict", "hooks.py",
            "--config-file=",  # no config file: only what --strict asks for
            "--follow-imports=silent",  # as for an installed package: judge the user's file, not hookdev's
            "--cache-dir", str(folder / ".mypy_cache"),
        ],
        cwd=folder, env=env, capture_output=True, text=True, timeout=120,
    )


def test_a_readme_style_hooks_file_type_checks_strictly(tmp_path: Path) -> None:
    (tmp_path / "hooks.py").write_text(README_HOOKS)
    result = strict_mypy(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_strict_checking_sees_hookdevs_types(tmp_path: Path) -> None:
    (tmp_path / "hooks.py").write_text(textwrap.dedent('''\
        from hookdev import HookRequest, hook


        @hook("/tokenHook")
        def token(request: HookRequest) -> str:
            return request.evnts
    '''))
    result = strict_mypy(tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert '"HookRequest" has no attribute "evnts"' in result.stdout


@pytest.mark.parametrize("kind", sorted(GUIDES))
def test_every_scaffold_type_checks_strictly(tmp_path: Path, kind: str) -> None:
    assert main(["init", kind, "--dir", str(tmp_path)]) == 0
    result = strict_mypy(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
