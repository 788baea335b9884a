"""Findings 4 (outside the inspector) and 12 (HAR): hostile times, sizes and claims are shown, never fatal.

A stranger's token with exp 1e20, NaN or a 400-digit number; a HAR file whose fields are of the wrong type or
nested 100,000 levels deep; a record in the store no clock can show. Every CLI output reads them: one line of
error at most, never a traceback, and never a token accepted because its exp is NaN.
"""

from __future__ import annotations

import json
import math
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import jwt
import pytest

from hookdev.auth.keys import KeyStore
from hookdev.models import AuthVerdict, ResponseSnapshot, Timing, Validation
from hookdev.receiver.store import Store
from tests.conftest import SAMPLES, make_exchange
from tests.safety.serving import Serve, assert_terminal_safe, hookdev, http, request

TOKEN_BODY = (SAMPLES / "token.json").read_bytes()
HOSTILE = {"1e20": 1e20, "-1e20": -1e20, "nan": math.nan, "huge": 10**400, "text": "soon", "bool": True,
           "object": {"a": 1}, "negative": -1}


def read_everything(cwd: Path, store: Path) -> dict[str, bytes]:
    """Every CLI view of every exchange in the store: list, list --json, show, show --json, the exports."""
    where = ["--store", str(store)]
    listed = hookdev(cwd, "list", "--json", *where)
    assert listed.returncode == 0, listed.stderr
    ids = [json.loads(line)["id"] for line in listed.stdout.splitlines()]
    for line in listed.stdout.splitlines():
        datetime.fromisoformat(json.loads(line)["time"].replace("Z", "+00:00"))  # always a time
    outputs = {"list --json": listed, "list": hookdev(cwd, "list", *where)}
    for fmt in ("har", "curl", "payload"):
        outputs[f"export {fmt}"] = hookdev(cwd, "export", *ids[:1] if fmt == "payload" else [], "--format", fmt,
                                           *where)
    for exchange_id in ids:
        outputs[f"show {exchange_id}"] = hookdev(cwd, "show", exchange_id, *where)
        outputs[f"show --json {exchange_id}"] = hookdev(cwd, "show", exchange_id, "--json", *where)
    for what, done in outputs.items():
        assert done.returncode == 0 and b"Traceback" not in done.stderr, (what, done.stderr[-1500:])
        assert_terminal_safe(done.stdout, what)
    return {what: done.stdout for what, done in outputs.items()}


def signed(keys: KeyStore, issuer: str, **claims: Any) -> str:
    key = keys.active
    base = {"iss": issuer, "aud": "api://default", "cid": "okta-hooks", "scp": ["okta.hooks"]}
    return jwt.encode({**base, **claims}, key.private_key, algorithm="RS256", headers={"kid": key.kid})


def test_hostile_token_claims_through_a_real_serve(tmp_path: Path) -> None:
    (tmp_path / "hookdev.toml").write_text('[auth]\nmode = "oauth"\n')
    verdicts: dict[str, tuple[int, str]] = {}
    with Serve(tmp_path, ["--json"]) as serve:
        issuer = serve.url + "/oauth2/default"
        keys = KeyStore.load(tmp_path / ".hookdev" / "authserver-keys.json")
        stranger = KeyStore.in_memory()  # a stranger cannot sign with the issuer's key: refused on its kid
        for name, value in HOSTILE.items():
            for who, key_store in (("issuer", keys), ("stranger", stranger)):
                claims = {"exp": value, "iat": value} if name != "-1e20" else {"exp": time.time() + 60, "nbf": 1e20}
                token = signed(key_store, issuer, **claims)
                status, _, body = http(serve.address, request(
                    "POST", "/tokenHook", TOKEN_BODY, "Content-Type: application/json",
                    f"Authorization: Bearer {token}"))
                verdicts[f"{who} {name}"] = (status, json.loads(body or b"{}").get("reason", ""))
    assert b"Traceback" not in serve.err, serve.err[-2000:]
    # A signed exp that is no number of seconds is malformed: NaN, above all, must not pass every comparison.
    assert {verdicts[f"issuer {n}"] for n in ("nan", "huge", "text", "bool", "object")} == {(401, "malformed")}
    assert verdicts["issuer negative"] == (401, "expired")
    assert verdicts["issuer 1e20"] == (204, "")  # far in the future, but a time: valid
    assert verdicts["issuer -1e20"] == (401, "not_yet_valid")  # nbf 1e20
    assert {v for k, v in verdicts.items() if k.startswith("stranger")} == {(401, "unknown_kid")}

    shown = read_everything(tmp_path, tmp_path / ".hookdev" / "hookdev.db")
    details = [json.loads(out)["auth"]["detail"] for what, out in shown.items() if what.startswith("show --json")]
    assert any("1e+20, beyond any calendar" in d for d in details)  # nbf 1e20, said in words
    assert any("exp claim is missing or not a number" in d for d in details)


def har_entry(**changes: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "startedDateTime": "2026-01-02T03:04:05.678Z", "time": 3,
        "request": {"method": "POST", "url": "https://x.example/tokenHook", "headers": [],
                    "postData": {"mimeType": "application/json", "text": TOKEN_BODY.decode()}},
        "response": {"status": 204, "headers": [], "content": {"size": 0, "mimeType": "x-unknown"}},
    }
    for dotted, value in changes.items():
        target = entry
        *parents, last = dotted.split("__")
        for part in parents:
            target = target.setdefault(part, {})
        target[last] = value
    return entry


def har(*entries: dict[str, Any]) -> str:
    return json.dumps({"log": {"version": "1.2", "entries": list(entries)}})


MALFORMED = {
    "status-list": (har_entry(response__status=[1]), "response.status '[1]' is not an HTTP status"),
    "status-text": (har_entry(response__status="abc"), "response.status 'abc' is not an HTTP status"),
    "status-huge": (har_entry(response__status=10**30), "is not an HTTP status"),
    "year-1": (har_entry(startedDateTime="0001-01-01T00:00:00+14:00"), "is not between 1970 and 9999"),
    "bad-url": (har_entry(request__url="http://[::1"), "request.url is not a URL"),
}
ODD_BUT_READABLE = [  # imported, with the odd field made harmless
    har_entry(time=1e400), har_entry(time=-5), har_entry(startedDateTime=12),
    har_entry(_hookdev={"auth": {"scheme": 5, "ok": "no", "claims": 3, "detail": [1]},
                        "validation": {"ok": 1, "problems": 5, "timing": {"duration_ms": "x"}, "warnings": "w"}}),
    har_entry(_hookdev={"validation": {"timing": {"duration_ms": 1e400, "budget_ms": None, "grade": 7}}}),
    har_entry(_hookdev={"auth": {"scheme": "oauth", "ok": False, "reason": "expired", "detail": "planted by a HAR",
                                 "claims": {"exp": 1e20, "iat": "soon", "nbf": math.nan, "auth_time": 10**400}}}),
    har_entry(request__headers=[{"name": {"a": 1}, "value": [1]}]),
]


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_a_malformed_har_entry_is_skipped_in_one_line(tmp_path: Path, case: str) -> None:
    entry, says = MALFORMED[case]
    (tmp_path / "one.har").write_text(har(entry, har_entry()))
    done = hookdev(tmp_path, "import", "one.har", "--store", str(tmp_path / "s.db"))
    assert done.returncode == 0 and b"imported 1 exchange" in done.stdout, done
    [line] = done.stderr.decode().splitlines()
    assert line.startswith("hookdev import: skipped 1 malformed entry (the first, entry 1: ") and says in line
    (tmp_path / "bad.har").write_text(har(entry))
    alone = hookdev(tmp_path, "import", "bad.har", "--store", str(tmp_path / "s.db"))
    assert alone.returncode == 1 and b"imported 0 exchanges" in alone.stdout  # nothing it was about got in


@pytest.mark.parametrize("text, says", [
    ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ('{"log": {"entries": {"a": 1}}}', "no log.entries list"),
    ("\udcff{}", "is not a HAR file"),
], ids=["deep", "entries-not-a-list", "not-utf8"])
def test_a_file_that_is_no_har_is_one_line(tmp_path: Path, text: str, says: str) -> None:
    (tmp_path / "x.har").write_bytes(text.encode("utf-8", "surrogateescape"))
    done = hookdev(tmp_path, "import", "x.har", "--store", str(tmp_path / "s.db"))
    assert done.returncode == 1 and done.stdout == b""
    [line] = done.stderr.decode().splitlines()
    assert line.startswith("hookdev: x.har ") and says in line
    assert not (tmp_path / "s.db").exists()


def test_odd_har_fields_and_planted_records_are_shown_by_every_view(tmp_path: Path) -> None:
    (tmp_path / "odd.har").write_text(har(*ODD_BUT_READABLE))
    done = hookdev(tmp_path, "import", "odd.har", "--store", str(tmp_path / "s.db"))
    assert done.returncode == 0 and done.stderr == b"", done
    assert done.stdout.startswith(b"imported 7 exchanges")

    # Records no clock can show, as an older hookdev or another tool could have left them in a store (the
    # store itself keeps no NaN time or duration: those columns refuse NULL, which is what SQLite makes of NaN).
    claims = {name: value for name, value in HOSTILE.items()}
    store = Store(tmp_path / "s.db")
    try:
        for when in (1e20, -1e20, 0.0):
            store.add_now(make_exchange(
                time=when, duration_ms=math.inf,
                auth=AuthVerdict("oauth", False, "expired", "planted", token_header={"exp": 1e20}, claims=claims),
                validation=Validation(ok=False, timing=Timing(duration_ms=math.nan, budget_ms=math.inf)),
                response=ResponseSnapshot(status=204)))
    finally:
        store.close()
    shown = read_everything(tmp_path, tmp_path / "s.db")
    assert len([w for w in shown if w.startswith("show --json")]) == 10
    times = [json.loads(line)["time"] for line in shown["list --json"].splitlines()]
    assert {"9999-12-31T23:59:59.999Z", "0001-01-01T00:00:00.000Z", "1970-01-01T00:00:00.000Z"} <= set(times)
    assert b"? ms" in shown["list"]  # an infinite duration is no duration
    reports = [out for what, out in shown.items() if what.startswith("show ") and "--json" not in what]
    planted = next(out for out in reports if b"\nplanted\n" in out)
    assert b'"huge": 1000000000' in planted and b'"1e20": 1e+20' in planted  # the claims, as they came
    by_har = next(out for out in reports if b"planted by a HAR" in out)
    assert b'"exp": 1e+20' in by_har and b'"iat": "soon"' in by_har


def test_a_planted_exchange_round_trips_through_a_har_file(tmp_path: Path) -> None:
    # What export wrote for a planted record, import reads back without a complaint.
    store = Store(tmp_path / "s.db")
    try:
        store.add_now(make_exchange(time=1e20, duration_ms=math.inf,
                                    auth=AuthVerdict("oauth", False, "expired", "x", claims={"exp": 1e20})))
    finally:
        store.close()
    exported = hookdev(tmp_path, "export", "--format", "har", "--store", str(tmp_path / "s.db"))
    assert exported.returncode == 0, exported.stderr
    (tmp_path / "back.har").write_bytes(exported.stdout)
    back = hookdev(tmp_path, "import", "back.har", "--store", str(tmp_path / "t.db"))
    assert back.returncode == 0 and back.stderr == b"" and b"imported 1 exchange" in back.stdout, back
