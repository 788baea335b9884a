"""`hookdev demo`: one round of traffic covers every kind, each auth method, an invalid answer and an expired token."""

from __future__ import annotations

import io
import json
from pathlib import Path

from hookdev.cli.demo import run_headless
from hookdev.models import KINDS
from hookdev.receiver.session import Session
from hookdev.send.demo import SCRIPT, DemoTraffic, demo_settings


async def test_one_round_covers_every_kind_and_auth_method(tmp_path: Path) -> None:
    session = Session(demo_settings(tmp_path))
    await session.start()
    try:
        traffic = DemoTraffic(session, interval=0, count=len(SCRIPT))
        traffic.prepare()
        for call in SCRIPT:
            await traffic.send(call)
        exchanges = session.store.list()  # type: ignore[union-attr]
    finally:
        await session.stop()
    assert {ex.kind for ex in exchanges} == set(KINDS) - {"unknown"}
    assert {ex.auth.scheme for ex in exchanges} == {"basic", "header", "oauth"}
    expired = [ex for ex in exchanges if ex.auth.reason == "expired"]
    assert len(expired) == 1 and expired[0].status == 401
    invalid = [ex for ex in exchanges if not ex.validation.ok and ex.auth.ok]
    assert len(invalid) == 1 and invalid[0].source == "handler" and "reserved" in str(invalid[0].validation.problems[0])
    assert sum(ex.auth.reason == "bad_credentials" for ex in exchanges) == 1


async def test_headless_demo_prints_json_lines_and_stops_after_count(tmp_path: Path) -> None:
    out = io.StringIO()
    code = await run_headless(Session(demo_settings(tmp_path)), 0, 4, as_json=True, out=out)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert code == 0 and lines[0]["event"] == "listening"
    assert [line["kind"] for line in lines[1:]] == ["event_verification", "event", "registration", "token"]


def test_demo_settings_keep_everything_in_the_folder(tmp_path: Path) -> None:
    s = demo_settings(tmp_path)
    assert s.server.port == 0 and s.auth.mode == "oauth" and not s.tunnel.enabled
    assert s.path(s.server.store).parent == tmp_path and s.path(s.responses.dir).parent == tmp_path


async def test_the_deliberate_failures_say_so(tmp_path: Path) -> None:
    """A presenter's audience reads "on purpose" beside each failure the demo makes, and only there."""
    out = io.StringIO()
    assert await run_headless(Session(demo_settings(tmp_path)), 0, len(SCRIPT), as_json=False, out=out) == 0
    lines = out.getvalue().splitlines()[1:]
    assert len(lines) == len(SCRIPT)
    captioned = [line for line in lines if "on purpose" in line]
    assert len(captioned) == 3
    assert all(" 401 " in line or "1 problem" in line for line in captioned)
    assert any("expired token, on purpose" in line and "oauth expired" in line for line in captioned)
    assert all("refused" not in line and "problem" not in line for line in lines if "on purpose" not in line)
