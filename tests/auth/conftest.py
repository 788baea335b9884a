"""Fixtures of the auth tests: RSA keys made once, and a real key server on 127.0.0.1 port 0."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.auth.authkit import KeyServer, RsaKey


@pytest.fixture(scope="session")
def rsa_keys() -> dict[str, RsaKey]:
    """Three keys made once per run: the issuer's, the one it rotates to, and an attacker's."""
    return {
        name: RsaKey(f"kid-{name}", rsa.generate_private_key(public_exponent=65537, key_size=2048))
        for name in ("main", "next", "attacker")
    }


@pytest.fixture
async def key_server(aiohttp_server: Any, rsa_keys: dict[str, RsaKey]) -> KeyServer:
    ks = KeyServer(keys=[rsa_keys["main"].jwk()])
    server = await aiohttp_server(ks.app())
    ks.base = str(server.make_url("")).rstrip("/")
    return ks
