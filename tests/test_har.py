"""HAR 1.2 out and in: every required field, hookdev's own fields, secrets masked by default, noise skipped."""

from __future__ import annotations

import json
from typing import Any

from hookdev.io.har import import_har, to_har
from hookdev.io.redact import MASK
from hookdev.models import AuthVerdict, RequestSnapshot, ResponseSnapshot
from tests.conftest import make_exchange

# The fields HAR 1.2 marks as required, per object.
REQUIRED = {
    "log": {"version", "creator", "entries"},
    "creator": {"name", "version"},
    "entry": {"startedDateTime", "time", "request", "response", "cache", "timings"},
    "request": {"method", "url", "httpVersion", "cookies", "headers", "queryString", "headersSize", "bodySize"},
    "response": {"status", "statusText", "httpVersion", "cookies", "headers", "content", "redirectURL",
                 "headersSize", "bodySize"},
    "content": {"size", "mimeType"},
    "timings": {"send", "wait", "receive"},
    "postData": {"mimeType", "text"},
}


def check_har(doc: dict[str, Any]) -> None:
    log = doc["log"]
    assert REQUIRED["log"] <= log.keys() and log["version"] == "1.2"
    assert REQUIRED["creator"] <= log["creator"].keys()
    for e in log["entries"]:
        assert REQUIRED["entry"] <= e.keys()
        assert REQUIRED["request"] <= e["request"].keys() and REQUIRED["response"] <= e["response"].keys()
        assert REQUIRED["content"] <= e["response"]["content"].keys()
        assert REQUIRED["timings"] <= e["timings"].keys()
        assert all(isinstance(e["timings"][k], (int, float)) for k in REQUIRED["timings"])
        if e["request"]["method"] == "POST":
            assert REQUIRED["postData"] <= e["request"]["postData"].keys()
        for h in e["request"]["headers"] + e["response"]["headers"]:
            assert set(h) == {"name", "value"}
        assert e["startedDateTime"].endswith("Z") and "T" in e["startedDateTime"]
        assert all(k.startswith("_") for k in e if k not in REQUIRED["entry"] | {"pageref", "serverIPAddress",
                                                                                 "connection", "comment"})


def pw_import_exchange() -> Any:
    body = {"eventType": "com.okta.user.credential.password.import",
            "data": {"credential": {"username": "a@example.com", "password": "hunter2"}}}
    req = RequestSnapshot(method="POST", path="/pw", query="a=1&b=", headers=(
        ("Host", "127.0.0.1:8080"), ("Authorization", "Basic YWRtaW46c3VwZXJzZWNyZXQ="),
        ("x-hook-secret", "very-secret-value"), ("Content-Type", "application/json")),
        body=json.dumps(body).encode())
    return make_exchange(kind="password_import", request=req, body=body, replay_of="0original",
                         response=ResponseSnapshot(200, (("Content-Type", "application/json"),), b'{"commands": []}'),
                         auth=AuthVerdict("basic", True))


def test_har_has_every_required_field_and_hookdev_fields() -> None:
    ex = pw_import_exchange()
    doc = to_har([ex, make_exchange()], redact=True, secret_header=None, base_url="http://127.0.0.1:8080")
    check_har(doc)
    e = doc["log"]["entries"][0]
    assert e["request"]["url"] == "http://127.0.0.1:8080/pw?a=1&b="
    assert e["request"]["queryString"] == [{"name": "a", "value": "1"}, {"name": "b", "value": ""}]
    assert e["response"]["statusText"] == "OK" and e["response"]["content"]["text"] == '{"commands": []}'
    assert e["_hookdev"]["kind"] == "password_import" and e["_hookdev"]["replay_of"] == "0original"
    assert e["_hookdev"]["auth"]["scheme"] == "basic" and e["_hookdev"]["validation"]["ok"] is True
    json.dumps(doc)


def test_secrets_are_masked_by_default_and_kept_when_asked() -> None:
    ex = pw_import_exchange()
    masked = json.dumps(to_har([ex], redact=True, secret_header="X-Hook-Secret"), ensure_ascii=False)
    assert "YWRtaW46c3VwZXJzZWNyZXQ=" not in masked and "hunter2" not in masked
    assert "very-secret-value" not in masked and MASK in masked
    kept = json.dumps(to_har([ex], redact=False, secret_header="X-Hook-Secret"))
    assert "YWRtaW46c3VwZXJzZWNyZXQ=" in kept and "hunter2" in kept and "very-secret-value" in kept


def test_import_reads_back_what_export_wrote_with_new_ids() -> None:
    ex = pw_import_exchange()
    imported, skipped = import_har(to_har([ex], redact=False, secret_header=None))
    (back,) = imported
    assert skipped == 0 and back.id != ex.id and back.kind == "password_import"
    assert back.request.body == ex.request.body and back.request.path == "/pw" and back.request.query == "a=1&b="
    assert back.response.status == 200 and back.auth.scheme == "basic" and back.source == "import"


def test_binary_bodies_survive_the_round_trip() -> None:
    ex = make_exchange(response=ResponseSnapshot(200, (), b"\xff\xfe\x00binary"))
    entry = to_har([ex], redact=True, secret_header=None)["log"]["entries"][0]
    assert entry["response"]["content"]["encoding"] == "base64"
    (back,), _ = import_har({"log": {"version": "1.2", "entries": [entry]}})
    assert back.response.body == b"\xff\xfe\x00binary"


def test_browser_noise_is_skipped_and_counted() -> None:
    def item(method: str, url: str, body: str | None = None, headers: list[dict[str, str]] | None = None) -> dict:
        req: dict[str, Any] = {"method": method, "url": url, "headers": headers or []}
        if body is not None:
            req["postData"] = {"mimeType": "application/json", "text": body}
        return {"startedDateTime": "2026-01-02T03:04:05.678Z", "time": 3, "request": req,
                "response": {"status": 200, "headers": [], "content": {"size": 0, "mimeType": "text/html"}}}

    har = {"log": {"version": "1.2", "entries": [
        item("GET", "https://app.example.com/main.css"),
        item("OPTIONS", "https://app.example.com/hook"),
        item("POST", "https://app.example.com/beacon", "a=1&b=2"),
        item("POST", "https://app.example.com/tokenHook", '{"eventType": "com.okta.oauth2.tokens.transform"}'),
        item("GET", "https://app.example.com/verify",
             headers=[{"name": "x-okta-verification-challenge", "value": "c"}]),
    ]}}
    imported, skipped = import_har(har)
    assert skipped == 3
    assert [(e.kind, e.request.path) for e in imported] == [("token", "/tokenHook"), ("event_verification", "/verify")]
    assert imported[0].time == 1767323045.678
