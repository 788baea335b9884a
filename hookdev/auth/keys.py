"""The local authorization server's RSA signing keys: created on first use, kept 0600, rotated with grace."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from hookdev.errors import ConfigError

FILE_VERSION = 1
KEY_SIZE = 2048


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def thumbprint(public_jwk: dict[str, Any]) -> str:
    """RFC 7638 thumbprint of an RSA public JWK: a kid that names the key and nothing else."""
    members = {"e": public_jwk["e"], "kty": "RSA", "n": public_jwk["n"]}
    canonical = json.dumps(members, separators=(",", ":"), sort_keys=True).encode()
    return _b64url(hashlib.sha256(canonical).digest())


@dataclass(frozen=True, slots=True)
class SigningKey:
    """One RSA key pair; published in the key set until retire_at (None: not retiring)."""

    kid: str
    private_key: rsa.RSAPrivateKey
    created: float
    retire_at: float | None = None

    def public_jwk(self) -> dict[str, Any]:
        jwk = RSAAlgorithm.to_jwk(self.private_key.public_key(), as_dict=True)
        return {"kty": "RSA", "alg": "RS256", "kid": self.kid, "use": "sig", "e": jwk["e"], "n": jwk["n"]}

    @classmethod
    def generate(cls, now: float | None = None) -> SigningKey:
        private = rsa.generate_private_key(public_exponent=65537, key_size=KEY_SIZE)
        jwk = RSAAlgorithm.to_jwk(private.public_key(), as_dict=True)
        return cls(kid=thumbprint(jwk), private_key=private, created=time.time() if now is None else now)


class KeyStore:
    """Signing keys of the local authorization server.

    `load` is synchronous (it may generate a key and touches the disk): async callers run it with
    `await asyncio.to_thread(KeyStore.load, path)`. A store with no path lives in memory only.
    """

    def __init__(self, keys: list[SigningKey], active: str, path: Path | None = None) -> None:
        self._keys = keys
        self._active = active
        self.path = path
        self._stamp = self._file_stamp()

    @classmethod
    def load(cls, path: Path | None) -> KeyStore:
        """Read the key file, or create it (folder too) with a fresh key when it is missing."""
        if path is not None and path.exists():
            store = cls._read(path)
            if store.prune():
                store.save()
            return store
        key = SigningKey.generate()
        store = cls([key], key.kid, path)
        store.save()
        return store

    @classmethod
    def in_memory(cls) -> KeyStore:
        return cls.load(None)

    @property
    def active(self) -> SigningKey:
        return next(k for k in self._keys if k.kid == self._active)

    def published(self, now: float | None = None) -> list[SigningKey]:
        """The active key first, then retiring keys whose grace has not run out."""
        now = time.time() if now is None else now
        live = [k for k in self._keys if k.kid == self._active or (k.retire_at or 0) > now]
        return sorted(live, key=lambda k: k.kid != self._active)

    def jwks(self, now: float | None = None) -> dict[str, Any]:
        return {"keys": [k.public_jwk() for k in self.published(now)]}

    def rotate(self, grace_seconds: float, now: float | None = None) -> SigningKey:
        """Make a new active key; the old one stays published for grace_seconds so tokens it signed verify."""
        now = time.time() if now is None else now
        new = SigningKey.generate(now)
        self._keys = [
            replace(k, retire_at=now + grace_seconds) if k.kid == self._active else k for k in self._keys
        ]
        self._keys.append(new)
        self._active = new.kid
        self.prune(now)
        self.save()
        return new

    def prune(self, now: float | None = None) -> bool:
        """Forget keys past their grace period; True when any went."""
        kept = self.published(now)
        changed = len(kept) != len(self._keys)
        self._keys = kept
        return changed

    def refresh(self) -> bool:
        """Reload when another process (`hookdev authserver rotate`) changed the file; True when reloaded.

        A stat per call is cheap enough for the token and keys endpoints; the reload only happens on change.
        """
        if self.path is None or self._file_stamp() == self._stamp:
            return False
        try:
            fresh = self._read(self.path)
        except (ConfigError, OSError):
            return False  # a half-written file from another process: keep serving the keys we have
        self._keys, self._active, self._stamp = fresh._keys, fresh._active, fresh._stamp
        return True

    def save(self) -> None:
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        data = {
            "version": FILE_VERSION,
            "active": self._active,
            "keys": [_key_to_json(k) for k in self._keys],
        }
        tmp = self.path.with_name(self.path.name + ".tmp")
        # Created 0600 from the start: the private key must never be readable by others, not even briefly.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=2)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, self.path)
        self._stamp = self._file_stamp()

    def _file_stamp(self) -> tuple[int, int] | None:
        if self.path is None:
            return None
        try:
            st = self.path.stat()
        except OSError:
            return None
        return (st.st_mtime_ns, st.st_size)

    @classmethod
    def _read(cls, path: Path) -> KeyStore:
        fix = f"delete {path} to generate a new signing key (tokens it signed will stop verifying)"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            keys = [_key_from_json(item) for item in data["keys"]]
            active = data["active"]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ConfigError(
                "authserver.key_file", f"{path} is not a readable hookdev key file ({exc}); {fix}"
            ) from exc
        if not any(k.kid == active for k in keys):
            raise ConfigError("authserver.key_file", f"{path} names active key {active!r} but does not hold it; {fix}")
        return cls(keys, active, path)


def _key_to_json(key: SigningKey) -> dict[str, Any]:
    pem = key.private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return {"kid": key.kid, "created": key.created, "retire_at": key.retire_at, "private_key": pem.decode("ascii")}


def _key_from_json(item: dict[str, Any]) -> SigningKey:
    private = serialization.load_pem_private_key(item["private_key"].encode("ascii"), password=None)
    if not isinstance(private, rsa.RSAPrivateKey):
        raise ValueError(f"key {item.get('kid')!r} is not an RSA key")
    return SigningKey(
        kid=item["kid"], private_key=private, created=float(item["created"]), retire_at=item.get("retire_at")
    )
