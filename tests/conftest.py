"""Shared factories: settings on a temporary store, exchanges, and a running receiver."""

from __future__ import annotations

import dataclasses
import json
import time
from itertools import count
from pathlib import Path
from typing import Any

import pytest

from hookdev.config import Settings, load_settings
from hookdev.models import AuthVerdict, Exchange, RequestSnapshot, ResponseSnapshot, Validation, new_id

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_payloads"


@pytest.fixture(autouse=True)
def _plain_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    # NO_COLOR changes Textual's rendering; HOOKDEV_*, NGROK_AUTHTOKEN and OKTA_API_TOKEN must not leak in.
    monkeypatch.delenv("NO_COLOR", raising=False)
    import os

    for name in list(os.environ):
        if name.startswith("HOOKDEV_") or name in ("NGROK_AUTHTOKEN", "OKTA_API_TOKEN"):
            monkeypatch.delenv(name)


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
