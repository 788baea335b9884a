"""Fixtures of the Okta API tests: a running double of the org, and a service app key pair made once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from hookdev.config import Settings
from hookdev.receiver.session import Session
from tests.conftest import make_settings
from tests.okta_double import Org, running_org
from tests.reliability.live import live_session


@pytest.fixture
async def org() -> AsyncIterator[Org]:
    async with running_org(page_size=2) as running:
        yield running


@pytest.fixture(scope="session")
def app_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def app_key_file(tmp_path: Path, app_key: rsa.RSAPrivateKey) -> Path:
    path = tmp_path / "service-app.pem"
    path.write_bytes(app_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return path


PASSWORD = "s3cret-" + "x" * 12


def okta_settings(tmp_path: Path, org: Org, **sections: dict[str, Any]) -> Settings:
    """Settings for the org double, Basic auth with a non-default password, the store in tmp_path."""
    sections.setdefault("auth", {"mode": "basic", "username": "okta", "password": PASSWORD})
    okta = {"org_url": org.base, "api_token": org.token, **sections.pop("okta", {})}
    return make_settings(tmp_path, okta=okta, **sections)


@pytest.fixture
async def receiver(tmp_path: Path) -> AsyncIterator[Session]:
    """A running hookdev receiver on 127.0.0.1:0 checking Basic okta:PASSWORD (enforced)."""
    async with live_session(tmp_path, auth={"mode": "basic", "username": "okta", "password": PASSWORD}) as session:
        yield session
