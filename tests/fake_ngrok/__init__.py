"""The strict stand-in for the ngrok agent (the `ngrok` script here) and how tests put it in place."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent / "ngrok"


def install(folder: Path) -> Path:
    """An executable `ngrok` in `folder` that execs this interpreter on the stand-in: independent of PATH, and the
    same pid as the agent it becomes."""
    folder.mkdir(parents=True, exist_ok=True)
    wrapper = folder / "ngrok"
    wrapper.write_text(f'#!/bin/sh\nexec {shlex.quote(sys.executable)} {shlex.quote(str(SCRIPT))} "$@"\n')
    wrapper.chmod(0o755)
    return wrapper
