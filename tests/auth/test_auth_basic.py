"""Basic auth: the header Okta sends is accepted by one comparison; every other spelling gets the full check."""

from __future__ import annotations

import base64

import pytest

from hookdev.auth.verifiers import build_verifier
from hookdev.config import AuthSettings
from tests.auth.authkit import request_with

VERIFIER = build_verifier(AuthSettings(mode="basic", username="admin", password="supersecret"))
GOOD = base64.b64encode(b"admin:supersecret").decode()


@pytest.mark.parametrize(
    "value, ok, reason",
    [
        (f"Basic {GOOD}", True, None),  # as Okta sends it
        (f"basic {GOOD}", True, None),  # the scheme is case-insensitive
        (f"  Basic   {GOOD}  ", True, None),
        (f"Basic {GOOD[:-2]}", False, "malformed"),
        (f"Basic {base64.b64encode(b'admin:supersecreT').decode()}", False, "bad_credentials"),
        (f"Basic {GOOD}x", False, "malformed"),
        (GOOD, False, "malformed"),
        ("Basic ÿÿ", False, "malformed"),
        ("", False, "missing"),
    ],
)
async def test_basic_header_spellings(value: str, ok: bool, reason: str | None) -> None:
    verdict = await VERIFIER.verify(request_with(("Authorization", value)) if value else request_with())
    assert (verdict.scheme, verdict.ok, verdict.reason) == ("basic", ok, reason)
    assert bool(verdict.detail) == (not ok)
