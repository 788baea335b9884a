"""Hook calls for the answer tests: from a sample payload or a body, with Okta's 3 s deadline."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from hookdev.models import HookCall, RequestSnapshot
from hookdev.okta.kinds import classify_body

SAMPLES = Path(__file__).resolve().parent.parent.parent / "hookdev" / "sample_payloads"


def sample(name: str) -> Any:
    return json.loads((SAMPLES / f"{name}.json").read_text(encoding="utf-8"))


def make_call(
    body: Any,
    path: str = "/hook",
    query: str = "",
    headers: tuple[tuple[str, str], ...] = (("Content-Type", "application/json"),),
    deadline: float | None = None,
) -> HookCall:
    """A POST hook call carrying `body`, classified as the receiver would."""
    raw = json.dumps(body).encode()
    request = RequestSnapshot(method="POST", path=path, query=query, headers=headers, body=raw, remote="127.0.0.1")
    return HookCall(
        kind=classify_body(body),
        request=request,
        body=body,
        deadline=time.monotonic() + 3.0 if deadline is None else deadline,
    )


def sample_call(name: str, path: str = "/hook") -> HookCall:
    return make_call(sample(name), path=path)
