"""Grade an answer's latency against Okta's 3 s budget and say what Okta does when it runs out."""

from __future__ import annotations

from hookdev.models import Kind, Timing

BUDGET_MS = 3000.0
SLOW_FRACTION = 0.8
"""Past this share of the budget an answer is graded slow: one hiccup away from a timeout."""

# What Okta does once the 3 s are up, per kind, and whether it tries again (docs/okta-hooks.md).
ON_TIMEOUT: dict[Kind, str] = {
    "event_verification": (
        "Okta gives up after 3 s and retries the verification once; if that fails too, the verify call "
        "returns 400 and the hook stays unverified."
    ),
    "event": (
        "Okta gives up after 3 s, retries the delivery once, then logs it as a failed delivery "
        "(event_hook.delivery in the System Log)."
    ),
    "registration": (
        "Okta gives up after 3 s, retries at most once, then stops the flow and denies the registration "
        "or profile update."
    ),
    "token": "Okta gives up after 3 s and issues the token unmodified; token hooks are never retried.",
    "saml": "Okta gives up after 3 s, retries at most once, then sends the original assertion unmodified.",
    "telephony": (
        "Okta gives up after 3 s and sends the OTP through its own rate-limited provider; "
        "telephony hooks are never retried."
    ),
    "password_import": (
        "Okta gives up after 3 s, retries at most once, then the sign-in fails and the password is not "
        "imported."
    ),
    "user_import": (
        "Okta gives up after 3 s, retries at most once, then continues the import and creates the user "
        "without the hook's changes."
    ),
    "unknown": "Okta gives up after 3 s.",
}


def timeout_consequence(kind: Kind) -> str:
    """The sentence saying what Okta does when this kind of hook gets no answer within 3 s."""
    return ON_TIMEOUT.get(kind, ON_TIMEOUT["unknown"])


def grade(kind: Kind, duration_ms: float, status: int | None = None) -> Timing:
    """How `duration_ms` compares with the budget; `status` is the answer's, None when none was sent."""
    sentence = timeout_consequence(kind)
    if duration_ms >= BUDGET_MS:
        # Okta stopped listening before the answer arrived, so whatever it said never counted.
        sent = f"The {status} answer arrived too late to count. " if status is not None else ""
        return Timing(duration_ms, BUDGET_MS, "timeout", sent + sentence)
    if duration_ms >= SLOW_FRACTION * BUDGET_MS:
        slow = (
            f"Answered in {duration_ms:.0f} ms, past {SLOW_FRACTION:.0%} of the 3 s budget; "
            f"a little slower and it times out. {sentence}"
        )
        return Timing(duration_ms, BUDGET_MS, "slow", slow)
    return Timing(duration_ms, BUDGET_MS, "ok", "")
