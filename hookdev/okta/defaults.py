"""The documented "allow / no change" answer for each hook kind."""

from __future__ import annotations

from typing import Any

from hookdev.models import Kind

# (status, body); a body of None means no body at all (204, or an empty 200 for events).
DEFAULT_ANSWERS: dict[Kind, tuple[int, Any]] = {
    "event": (200, None),
    "registration": (200, {"commands": [{"type": "com.okta.action.update", "value": {"registration": "ALLOW"}}]}),
    "token": (204, None),
    "saml": (204, None),
    # Telephony has no 204: Okta would fall back to its own (rate-limited) SMS provider.
    "telephony": (
        200,
        {
            "commands": [
                {
                    "type": "com.okta.telephony.action",
                    "value": [{"status": "SUCCESSFUL", "provider": "hookdev", "transactionId": "hookdev-local"}],
                }
            ]
        },
    ),
    "password_import": (200, {"commands": [{"type": "com.okta.action.update", "value": {"credential": "UNVERIFIED"}}]}),
    "user_import": (204, None),
    "unknown": (200, {}),
}


def default_answer(kind: Kind) -> tuple[int, Any]:
    """The answer Okta treats as "allow / no change" for this kind."""
    return DEFAULT_ANSWERS.get(kind, DEFAULT_ANSWERS["unknown"])
