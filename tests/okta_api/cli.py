"""Running `hookdev` as a subprocess without blocking the loop the org double serves on."""

from __future__ import annotations

import asyncio
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.cli_forks import FORKS
from tests.conftest import ROOT


@dataclass
class Run:
    rc: int
    out: str
    err: str

    def lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.out.splitlines() if line.strip()]


def env(token: str | None = None) -> dict[str, str]:
    out = {k: v for k, v in os.environ.items() if not k.startswith("HOOKDEV_") and k != "OKTA_API_TOKEN"}
    out["PYTHONPATH"] = str(ROOT)
    if token:
        out["OKTA_API_TOKEN"] = token
    return out


async def hookdev(cwd: Path, *args: str, token: str | None = None, timeout: float = 60) -> Run:
    """A hookdev command, a process of its own forked from an interpreter that imported hookdev once
    (tests/cli_forks.py), waited for in a thread while this loop serves the org double."""
    done = await asyncio.to_thread(FORKS.run, cwd, list(args), env(token), timeout=timeout)
    return Run(done.returncode, done.stdout.decode(), done.stderr.decode())


def write_config(folder: Path, org_base: str, password: str, **okta: Any) -> None:
    extra = "".join(f"{key} = {json.dumps(value)}\n" for key, value in okta.items())
    (folder / "hookdev.toml").write_text(
        '[auth]\nmode = "basic"\nusername = "okta"\n'
        f'password = "{password}"\n\n[okta]\norg_url = "{org_base}"\n{extra}'
    )
