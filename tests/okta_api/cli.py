"""Running `hookdev` as a subprocess without blocking the loop the org double serves on."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "hookdev", *args, cwd=cwd, env=env(token),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout)
    assert proc.returncode is not None
    return Run(proc.returncode, out.decode(), err.decode())


def write_config(folder: Path, org_base: str, password: str, **okta: Any) -> None:
    extra = "".join(f"{key} = {json.dumps(value)}\n" for key, value in okta.items())
    (folder / "hookdev.toml").write_text(
        '[auth]\nmode = "basic"\nusername = "okta"\n'
        f'password = "{password}"\n\n[okta]\norg_url = "{org_base}"\n{extra}'
    )
