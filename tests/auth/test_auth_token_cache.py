"""Verified tokens are remembered: a reused token skips the signature check, and no refusal rule is skipped with it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import jwt
import pytest

from hookdev.auth import verifiers
from hookdev.auth.jwks import KeySetCache
from hookdev.auth.verifiers import OAuthVerifier, default_keys_uri
from hookdev.config import AuthSettings
from tests.auth.authkit import AUDIENCE, CLIENT_ID, SCOPE, FakeClock, KeyServer, RsaKey, bearer, claims_for
from tests.auth.test_auth_attacks import CASES, tampered

LEEWAY = 120


class Checks:
    """Counts the signature checks PyJWT makes for the verifier (the real jwt.decode does the work)."""

    def __init__(self) -> None:
        self.count = 0

    def wrap(self, real: Any) -> Any:
        def decode(*args: Any, **kwargs: Any) -> Any:
            self.count += 1
            return real(*args, **kwargs)

        return decode


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> Iterator[Checks]:
    counter = Checks()
    monkeypatch.setattr(verifiers.jwt, "decode", counter.wrap(jwt.decode))
    yield counter


class Rig:
    """A verifier on a key server, with one fake clock for token times and one for the key set's TTL."""

    def __init__(self, key_server: KeyServer, **auth: Any) -> None:
        self.now = FakeClock()
        self.now.now = 1_700_000_000.0
        self.key_clock = FakeClock()
        settings = AuthSettings(mode="oauth", issuer=key_server.issuer, audience=AUDIENCE, client_id=CLIENT_ID,
                                scope=SCOPE, leeway=LEEWAY, **auth)
        self.keys = KeySetCache(default_keys_uri(key_server.issuer), clock=self.key_clock, cooldown=30)
        self.verifier = OAuthVerifier(settings, key_server.issuer, self.keys, now=self.now)
        self.issuer = key_server.issuer

    def claims(self, **changes: Any) -> dict[str, Any]:
        now = int(self.now.now)
        return claims_for(self.issuer, **{"iat": now, "exp": now + 3600, **changes})

    async def verify(self, token: str) -> Any:
        return await self.verifier.verify(bearer(token))


@pytest.fixture
async def rig(key_server: KeyServer) -> Any:
    built = Rig(key_server)
    yield built
    await built.verifier.close()


async def test_a_reused_token_is_checked_once(rig: Rig, rsa_keys: dict[str, RsaKey], checks: Checks) -> None:
    token = rsa_keys["main"].sign(rig.claims())
    verdicts = [await rig.verify(token) for _ in range(5)]
    assert all(v.ok for v in verdicts)
    assert checks.count == 1
    first, last = verdicts[0], verdicts[-1]
    assert (last.claims, last.token_header) == (first.claims, first.token_header)
    assert last.claims["cid"] == CLIENT_ID and last.token_header["kid"] == "kid-main"


async def test_a_remembered_token_is_refused_once_it_expires(
    rig: Rig, rsa_keys: dict[str, RsaKey], checks: Checks
) -> None:
    exp = int(rig.now.now) + 60
    token = rsa_keys["main"].sign(rig.claims(exp=exp))
    assert (await rig.verify(token)).ok
    rig.now.now = exp + LEEWAY - 1
    assert (await rig.verify(token)).ok  # inside the leeway, from memory
    assert checks.count == 1
    rig.now.now = exp + LEEWAY + 1
    late = await rig.verify(token)
    again = await rig.verify(token)
    assert (late.ok, late.reason) == (False, "expired") and "token expired 2 min ago" in late.detail
    assert (again.ok, again.reason) == (False, "expired")


async def test_a_token_not_yet_valid_is_refused_until_its_nbf(rig: Rig, rsa_keys: dict[str, RsaKey]) -> None:
    nbf = int(rig.now.now) + LEEWAY + 300
    token = rsa_keys["main"].sign(rig.claims(nbf=nbf))
    assert (await rig.verify(token)).reason == "not_yet_valid"
    assert (await rig.verify(token)).reason == "not_yet_valid"
    rig.now.now = nbf
    assert (await rig.verify(token)).ok


async def test_claims_checks_run_on_every_call(rig: Rig, rsa_keys: dict[str, RsaKey], checks: Checks) -> None:
    sign = rsa_keys["main"].sign
    for changes, reason in [({"aud": "api://other"}, "wrong_audience"), ({"cid": "0oaOther"}, "wrong_client"),
                            ({"scp": ["profile"]}, "missing_scope")]:
        token = sign(rig.claims(**changes))
        assert [(await rig.verify(token)).reason for _ in range(3)] == [reason] * 3
    assert checks.count == 3


async def test_a_changed_byte_is_another_token(rig: Rig, rsa_keys: dict[str, RsaKey]) -> None:
    token = rsa_keys["main"].sign(rig.claims(scp=["profile"]))
    assert (await rig.verify(token)).reason == "missing_scope"
    forged = tampered(token, scp=[SCOPE])
    assert (await rig.verify(forged)).reason == "bad_signature"
    assert (await rig.verify(forged)).reason == "bad_signature"


async def test_a_token_is_refused_once_its_key_leaves_the_key_set(
    rig: Rig, key_server: KeyServer, rsa_keys: dict[str, RsaKey], checks: Checks
) -> None:
    token = rsa_keys["main"].sign(rig.claims())
    assert (await rig.verify(token)).ok
    key_server.keys[:] = [rsa_keys["next"].jwk()]  # the issuer rotates main out
    rig.key_clock.now += 301  # past the key set's max-age
    gone = await rig.verify(token)
    assert (gone.ok, gone.reason) == (False, "unknown_kid") and "kid-main" in gone.detail
    assert (await rig.verify(token)).reason == "unknown_kid"
    key_server.keys.append(rsa_keys["main"].jwk())  # and back: the signature is checked afresh
    rig.key_clock.now += 301
    assert (await rig.verify(token)).ok
    assert checks.count == 2


async def test_another_key_under_the_same_kid_means_a_fresh_check(
    rig: Rig, key_server: KeyServer, rsa_keys: dict[str, RsaKey]
) -> None:
    token = rsa_keys["main"].sign(rig.claims())
    assert (await rig.verify(token)).ok
    key_server.keys[:] = [RsaKey("kid-main", rsa_keys["attacker"].private).jwk()]
    rig.key_clock.now += 301
    swapped = await rig.verify(token)
    assert (swapped.ok, swapped.reason) == (False, "bad_signature")


async def test_a_refetch_of_the_same_keys_keeps_what_was_verified(
    rig: Rig, key_server: KeyServer, rsa_keys: dict[str, RsaKey], checks: Checks
) -> None:
    token = rsa_keys["main"].sign(rig.claims())
    assert (await rig.verify(token)).ok
    fetches = key_server.fetches
    rig.key_clock.now += 301
    assert (await rig.verify(token)).ok
    assert key_server.fetches == fetches + 1
    assert checks.count == 1


async def test_memory_is_bounded_and_keeps_the_recently_used(
    rig: Rig, rsa_keys: dict[str, RsaKey], checks: Checks, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(verifiers, "VERIFIED_TOKENS", 3)
    tokens = [rsa_keys["main"].sign(rig.claims(jti=f"AT.{i}")) for i in range(5)]
    for token in tokens[:3]:
        assert (await rig.verify(token)).ok
    assert (await rig.verify(tokens[0])).ok  # used again: now the most recent
    for token in tokens[3:]:
        assert (await rig.verify(token)).ok
    assert checks.count == 5
    assert (await rig.verify(tokens[0])).ok  # still remembered
    assert checks.count == 5
    assert (await rig.verify(tokens[1])).ok  # pushed out: checked again
    assert checks.count == 6


async def test_an_expired_token_is_never_remembered(rig: Rig, rsa_keys: dict[str, RsaKey], checks: Checks) -> None:
    token = rsa_keys["main"].sign(rig.claims(exp=int(rig.now.now) - LEEWAY - 10))
    assert [(await rig.verify(token)).reason for _ in range(2)] == ["expired", "expired"]
    assert checks.count == 2


async def test_the_attack_table_twice_on_one_verifier(key_server: KeyServer, rsa_keys: dict[str, RsaKey]) -> None:
    from tests.auth.test_auth_attacks import oauth_settings

    verifier = verifiers.build_verifier(oauth_settings(key_server.issuer))
    good = bearer(rsa_keys["main"].sign(claims_for(key_server.issuer)))
    try:
        rounds = []
        for _ in range(2):
            assert (await verifier.verify(good)).ok
            rounds.append([(c.name, (await verifier.verify(c.request(key_server.issuer, rsa_keys))).reason)
                           for c in CASES if c.scheme == "oauth"])
    finally:
        await verifier.close()
    expected = [(c.name, c.reason) for c in CASES if c.scheme == "oauth"]
    assert rounds == [expected, expected]
