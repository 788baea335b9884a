"""Shared factories: settings on a temporary store, exchanges, and a running receiver."""

from __future__ import annotations

import asyncio
import dataclasses
import inspect
import json
import os
import sys
import time
from collections.abc import Awaitable, Callable
from itertools import count
from pathlib import Path
from typing import Any, TypeVar

import pytest

from hookdev.config import Settings, load_settings
from hookdev.models import AuthVerdict, Exchange, RequestSnapshot, ResponseSnapshot, Validation, new_id

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "hookdev" / "sample_payloads"


def _write_bytecode() -> None:
    """Keep compiled bytecode even where PYTHONDONTWRITEBYTECODE is set (container images set it).

    The suite starts hundreds of Python processes: xdist's workers, serve, the CLI. Without bytecode each one
    compiles hookdev again, and each worker rewrites the assertions of every test module again before its first
    test. Python's own library and the installed packages have their bytecode already; what gets written is
    hookdev's and the tests' `__pycache__` folders, which git ignores. For this process and every Python it starts.
    """
    if sys.dont_write_bytecode:
        sys.dont_write_bytecode = False
        os.environ.pop("PYTHONDONTWRITEBYTECODE", None)


_write_bytecode()


@pytest.fixture(autouse=True)
def _plain_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    # NO_COLOR changes Textual's rendering; HOOKDEV_*, NGROK_AUTHTOKEN and OKTA_API_TOKEN must not leak in.
    monkeypatch.delenv("NO_COLOR", raising=False)
    for name in list(os.environ):
        if name.startswith("HOOKDEV_") or name in ("NGROK_AUTHTOKEN", "OKTA_API_TOKEN"):
            monkeypatch.delenv(name)


T = TypeVar("T")


async def until(condition: Callable[[], T | Awaitable[T]], what: str, within: float = 20.0) -> T:
    """Poll `condition` (sync or async) until it returns something true, and return that.

    The deadline only bounds a failure: on a fast machine this returns at once, on a loaded one it waits as long
    as the machine needs, so no test depends on how fast the machine is.
    """
    deadline = time.monotonic() + within
    while True:
        value = condition()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value  # type: ignore[return-value]
        if time.monotonic() > deadline:
            raise AssertionError(f"still waiting after {within:g} s for {what}")
        await asyncio.sleep(0.01)


def make_settings(tmp_path: Path, **sections: dict[str, Any]) -> Settings:
    """Settings rooted in tmp_path (store, keys, responses there), port 0, plus section overrides."""
    overrides: dict[tuple[str, str], Any] = {("server", "port"): 0}
    for section, values in sections.items():
        for key, value in values.items():
            overrides[(section, key)] = value
    return load_settings(cwd=tmp_path, environ={}, overrides=overrides)


_seq = count()


def make_exchange(**overrides: Any) -> Exchange:
    """An exchange for a token hook call, with any field overridden (mitmproxy's tflow, for hookdev)."""
    body = overrides.pop("body", {"eventType": "com.okta.oauth2.tokens.transform", "data": {}})
    request = overrides.pop(
        "request",
        RequestSnapshot(
            method="POST",
            path="/tokenHook",
            headers=(("Content-Type", "application/json"), ("Authorization", "Basic YWRtaW46c3VwZXJzZWNyZXQ=")),
            body=json.dumps(body).encode(),
            remote="127.0.0.1",
        ),
    )
    now = overrides.pop("time", time.time() + next(_seq) * 0.001)
    fields: dict[str, Any] = dict(
        id=new_id(now),
        time=now,
        kind="token",
        request=request,
        response=ResponseSnapshot(status=204),
        auth=AuthVerdict(scheme="basic", ok=True),
        validation=Validation(),
        duration_ms=1.5,
    )
    fields.update(overrides)
    return Exchange(**fields)


def with_(record: Any, **changes: Any) -> Any:
    return dataclasses.replace(record, **changes)
