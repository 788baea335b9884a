"""The run-time file a running `hookdev serve` keeps beside its store: its URLs and pid, for other commands."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


def runtime_file(store_path: Path) -> Path:
    """Where a running serve records its URL beside the store, for `hookdev replay` and `hookdev inspect`."""
    return store_path.with_name(store_path.name + ".serve.json")


def write_runtime(store_path: Path, data: dict[str, Any]) -> None:
    """Write the run-time file readable by the user only (it names the control channel), atomically."""
    path = runtime_file(store_path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, json.dumps(data).encode())
    finally:
        os.close(fd)
    os.replace(tmp, path)


def read_runtime(store_path: Path) -> dict[str, Any] | None:
    """What the serve running on this store wrote, or None when none is running (or its file is stale)."""
    try:
        data = json.loads(runtime_file(store_path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not alive(data.get("pid")):
        return None
    return data


def remove_runtime(store_path: Path, pid: int) -> bool:
    """Remove the run-time file if it is this process's (a second serve on the store may have replaced it)."""
    path = runtime_file(store_path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("pid") == pid:
            path.unlink()
            return True
    except (OSError, ValueError, AttributeError):
        pass
    return False


def alive(pid: object) -> bool:
    """Whether a process with this pid exists."""
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process with that pid exists
    except OSError:
        return False
    return True
