"""The sample payloads: each classifies to the kind its name says, is well formed, and is indexed."""

from __future__ import annotations

import ipaddress
import json
import re
from pathlib import Path
from typing import Any

import pytest

from hookdev.models import INLINE_KINDS, RequestSnapshot
from hookdev.okta.kinds import CHALLENGE_HEADER, classify, registration_flavour

SAMPLES = Path(__file__).resolve().parent.parent / "hookdev" / "sample_payloads"
RESPONSES = SAMPLES / "responses"

# Every sample must be listed here: a new file without an expected kind fails test_every_sample_has_a_kind.
EXPECTED: dict[str, str] = {
    "event.json": "event",
    "event-batch.json": "event",
    "event-verification.json": "event_verification",
    "registration-ssr.json": "registration",
    "registration-progressive.json": "registration",
    "registration-classic.json": "registration",
    "token.json": "token",
    "token-refresh.json": "token",
    "token-access-only.json": "token",
    "saml.json": "saml",
    "telephony-sms.json": "telephony",
    "telephony-voice.json": "telephony",
    "password-import.json": "password_import",
    "user-import.json": "user_import",
    "user-import-match.json": "user_import",
}
RESPONSE_KINDS: dict[str, str] = {
    "registration-allow.json": "registration",
    "registration-deny.json": "registration",
    "registration-progressive.json": "registration",
    "token.json": "token",
    "saml.json": "saml",
    "telephony.json": "telephony",
    "password-import.json": "password_import",
    "user-import.json": "user_import",
}
DOC_NETWORKS = [ipaddress.ip_network(n) for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24")]


def load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def is_description(sample: Any) -> bool:
    """A request description (method + headers, no body) rather than a body; see the README."""
    return isinstance(sample, dict) and "method" in sample and "eventType" not in sample


def snapshot(path: Path) -> RequestSnapshot:
    """The request Okta would make for a sample file."""
    sample = load(path)
    if is_description(sample):
        headers = tuple((str(k), str(v)) for k, v in sample.get("headers", {}).items())
        return RequestSnapshot(method=sample["method"], path="/" + path.stem, headers=headers)
    return RequestSnapshot(
        method="POST",
        path="/" + path.stem,
        headers=(("Accept", "application/json"), ("Content-Type", "application/json")),
        body=path.read_bytes(),
    )


def sample_names() -> list[str]:
    return sorted(p.name for p in SAMPLES.glob("*.json"))


def response_names() -> list[str]:
    return sorted(p.name for p in RESPONSES.glob("*.json"))


def test_every_sample_has_a_kind() -> None:
    assert sample_names() == sorted(EXPECTED), "add new samples to EXPECTED (and remove deleted ones)"


def test_every_response_has_a_kind() -> None:
    assert response_names() == sorted(RESPONSE_KINDS), "add new responses to RESPONSE_KINDS"


@pytest.mark.parametrize("name", sample_names())
def test_sample_is_a_json_object(name: str) -> None:
    assert isinstance(load(SAMPLES / name), dict)


@pytest.mark.parametrize("name", sample_names())
def test_sample_classifies_to_its_kind(name: str) -> None:
    assert classify(snapshot(SAMPLES / name)) == EXPECTED.get(name)


def test_every_kind_has_a_sample() -> None:
    assert set(EXPECTED.values()) == set(INLINE_KINDS) | {"event", "event_verification"}


def test_verification_sample_is_a_bodyless_get_with_a_challenge() -> None:
    sample = load(SAMPLES / "event-verification.json")
    assert is_description(sample)
    assert sample["method"] == "GET"
    assert set(sample) == {"method", "headers"}
    challenge = [v for k, v in sample["headers"].items() if k.lower() == CHALLENGE_HEADER]
    assert len(challenge) == 1 and challenge[0]


@pytest.mark.parametrize("name", [n for n, k in EXPECTED.items() if k == "event"])
def test_event_envelope(name: str) -> None:
    body = load(SAMPLES / name)
    assert body["cloudEventsVersion"] == "0.1"
    assert "cloudEventVersion" not in body
    assert body["eventTypeVersion"] == "1.0"
    assert body["contentType"] == "application/json"
    assert re.fullmatch(r"https://[^/]+/api/v1/eventHooks/who\w+", body["source"])
    for event in body["data"]["events"]:
        assert event["version"] == "0"
        assert event["eventType"] and event["uuid"] and event["published"].endswith("Z")
        assert event["debugContext"]["debugData"]["targetEventHookIds"] == body["source"].rsplit("/", 1)[1]


def test_event_samples_show_one_and_a_mixed_batch() -> None:
    single = load(SAMPLES / "event.json")["data"]["events"]
    assert [e["eventType"] for e in single] == ["user.lifecycle.deactivate"]
    batch = load(SAMPLES / "event-batch.json")["data"]["events"]
    assert len(batch) >= 3
    assert len({e["eventType"] for e in batch}) == len(batch)
    assert len({e["uuid"] for e in batch}) == len(batch)


@pytest.mark.parametrize("name", [n for n, k in EXPECTED.items() if k in INLINE_KINDS])
def test_inline_envelope(name: str) -> None:
    body = load(SAMPLES / name)
    assert body["cloudEventVersion"] == "0.1"
    assert "cloudEventsVersion" not in body
    assert body["eventTypeVersion"] == "1.0"
    assert body["contentType"] == "application/json"
    assert isinstance(body["data"]["context"], dict)
    if EXPECTED[name] != "user_import":
        request = body["data"]["context"]["request"]
        assert set(request) == {"id", "method", "url", "ipAddress"}
        assert set(request["url"]) == {"value"}


@pytest.mark.parametrize(
    ("name", "request_type", "flavour"),
    [
        ("registration-ssr.json", "self.service.registration", "self.service.registration"),
        ("registration-progressive.json", "progressive.profile", "progressive.profile"),
        ("registration-classic.json", None, "self.service.registration"),
    ],
)
def test_registration_flavours(name: str, request_type: str | None, flavour: str) -> None:
    body = load(SAMPLES / name)
    assert body.get("requestType") == request_type
    assert registration_flavour(body) == flavour
    assert re.fullmatch(r"reg\w+", body["source"])


def test_classic_registration_has_null_action() -> None:
    data = load(SAMPLES / "registration-classic.json")["data"]
    assert "action" in data and data["action"] is None


@pytest.mark.parametrize(
    ("name", "grant", "tokens"),
    [
        ("token.json", "authorization_code", {"identity", "access"}),
        ("token-refresh.json", "refresh_token", {"identity", "access"}),
        ("token-access-only.json", "client_credentials", {"access"}),
    ],
)
def test_token_variants(name: str, grant: str, tokens: set[str]) -> None:
    data = load(SAMPLES / name)["data"]
    assert data["context"]["protocol"]["request"]["grant_type"] == grant
    assert {t for t in ("identity", "access") if t in data} == tokens


def test_refresh_token_sample_carries_the_original_grant() -> None:
    data = load(SAMPLES / "token-refresh.json")["data"]
    assert data["refresh_token"]["jti"]
    assert data["context"]["protocol"]["OriginalGrant"]["refresh_token"]["jti"]


@pytest.mark.parametrize(("name", "channel"), [("telephony-sms.json", "SMS"), ("telephony-voice.json", "voice call")])
def test_telephony_channels(name: str, channel: str) -> None:
    body = load(SAMPLES / name)
    profile = body["data"]["messageProfile"]
    assert profile["deliveryChannel"] == channel
    assert ("msgTemplate" in profile) == (channel == "SMS")
    assert isinstance(profile["otpCode"], str) and isinstance(profile["phoneNumber"], str)
    assert body["requestType"].startswith("com.okta.user.telephony.")


def test_user_import_variants() -> None:
    create = load(SAMPLES / "user-import.json")["data"]
    assert create["action"]["result"] == "CREATE_USER"
    assert create["context"]["matches"] == [] and "id" not in create["user"]
    link = load(SAMPLES / "user-import-match.json")["data"]
    assert link["action"]["result"] == "LINK_USER"
    assert [m["id"] for m in link["context"]["matches"]] == [link["user"]["id"]]
    assert link["user"]["id"].startswith("00u")


def strings(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in strings(k) + strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in strings(v)]
    return [value] if isinstance(value, str) else []


ALL_JSON = sorted(
    [f"{p.name}" for p in SAMPLES.glob("*.json")] + [f"responses/{p.name}" for p in RESPONSES.glob("*.json")]
)


@pytest.mark.parametrize("name", ALL_JSON)
def test_data_is_fake(name: str) -> None:
    text = strings(load(SAMPLES / name))
    for s in text:
        for email in re.findall(r"[\w.+-]+@([\w.-]+)", s):
            assert email == "example.com", f"{name}: {s!r} is not an example.com address"
        for ip in re.findall(r"\b\d{1,3}(?:\.\d{1,3}){3}\b", s):
            assert any(ipaddress.ip_address(ip) in n for n in DOC_NETWORKS), f"{name}: {ip} is not RFC 5737"


@pytest.mark.parametrize("name", response_names())
def test_response_is_a_json_object_with_commands_or_error(name: str) -> None:
    body = load(RESPONSES / name)
    assert isinstance(body, dict)
    assert set(body) <= {"commands", "error", "debugContext"}
    assert body.get("commands") or body.get("error")
    for command in body.get("commands", []):
        assert set(command) == {"type", "value"} and command["type"].startswith("com.okta.")


def test_every_inline_kind_has_a_response() -> None:
    assert set(RESPONSE_KINDS.values()) == set(INLINE_KINDS)


def readme_rows() -> dict[str, str]:
    """File -> kind, from the README's index tables."""
    rows = {}
    for line in (SAMPLES / "README.md").read_text(encoding="utf-8").splitlines():
        match = re.match(r"\|\s*`([^`]+\.json)`\s*\|\s*`(\w+)`\s*\|", line)
        if match:
            assert match.group(1) not in rows, f"{match.group(1)} is listed twice in the README"
            rows[match.group(1)] = match.group(2)
    return rows


def test_readme_indexes_every_file_and_nothing_else() -> None:
    listed = readme_rows()
    on_disk = set(sample_names()) | {f"responses/{n}" for n in response_names()}
    assert set(listed) == on_disk


def test_readme_kinds_match_the_files() -> None:
    expected = dict(EXPECTED) | {f"responses/{n}": k for n, k in RESPONSE_KINDS.items()}
    assert readme_rows() == expected
