"""Latency grades against Okta's 3 s budget, with what Okta does per kind when it runs out."""

from __future__ import annotations

import pytest

from hookdev.models import KINDS
from hookdev.okta.timing import BUDGET_MS, grade


@pytest.mark.parametrize(
    ("duration_ms", "expected"),
    [
        (0.0, "ok"),
        (2399.9, "ok"),
        (2400.0, "slow"),
        (2999.9, "slow"),
        (3000.0, "timeout"),
        (45000.0, "timeout"),
    ],
)
def test_grade_boundaries(duration_ms: float, expected: str) -> None:
    timing = grade("registration", duration_ms)
    assert timing.grade == expected
    assert timing.budget_ms == BUDGET_MS == 3000.0
    assert timing.duration_ms == duration_ms


# (kind, fragment of what Okta does, fragment about retrying)
CONSEQUENCES = [
    ("token", "issues the token unmodified", "never retried"),
    ("telephony", "sends the OTP through its own", "never retried"),
    ("registration", "denies the registration", "retries at most once"),
    ("saml", "original assertion", "retries at most once"),
    ("password_import", "password is not imported", "retries at most once"),
    ("user_import", "creates the user", "retries at most once"),
    ("event", "failed delivery", "retries the delivery once"),
    ("event_verification", "stays unverified", "retries the verification once"),
]


@pytest.mark.parametrize(("kind", "effect", "retry"), CONSEQUENCES, ids=[c[0] for c in CONSEQUENCES])
def test_timeout_consequence_per_kind(kind: str, effect: str, retry: str) -> None:
    timing = grade(kind, 3100.0)
    assert timing.grade == "timeout"
    assert effect in timing.consequence and retry in timing.consequence


def test_token_sentence_is_exact() -> None:
    assert grade("token", 5000.0).consequence == (
        "Okta gives up after 3 s and issues the token unmodified; token hooks are never retried."
    )


def test_slow_warns_with_the_same_consequence() -> None:
    timing = grade("saml", 2600.0)
    assert timing.grade == "slow"
    assert "2600 ms" in timing.consequence and "original assertion" in timing.consequence


def test_ok_has_no_consequence() -> None:
    assert grade("token", 15.0, 200).consequence == ""


def test_late_answer_names_its_status() -> None:
    assert grade("token", 3500.0, 200).consequence.startswith("The 200 answer arrived too late")
    assert grade("token", 3500.0).consequence.startswith("Okta gives up")


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_has_a_timeout_sentence(kind: str) -> None:
    assert grade(kind, 3000.0).consequence.startswith("Okta gives up after 3 s")
