"""What `send` sends: a payload from a file, a sample name or a stored exchange, with `--set` edits applied."""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from hookdev import jsontext
from hookdev.errors import ConfigError, HookdevError, StoreError, UsageError
from hookdev.models import Exchange, Headers
from hookdev.okta.kinds import CHALLENGE_HEADER, kind_named
from hookdev.receiver.store import Store
from hookdev.send.sender import DROPPED_HEADERS, Payload, kind_of


def packaged_samples() -> Traversable:
    """The sample payloads inside the installed package (wherever pip put it: venv, --user, a checkout)."""
    return resources.files("hookdev") / "sample_payloads"


def sample_dirs(cwd: Path | None = None) -> list[Traversable]:
    """Where sample names are looked up: the working folder's sample_payloads/ first, then hookdev's own."""
    return [(cwd or Path.cwd()) / "sample_payloads", packaged_samples()]


KIND_SAMPLES = {"registration": "registration-ssr", "telephony": "telephony-sms"}
"""The sample a kind's name stands for where no sample has exactly that name."""


def find_sample(name: str, cwd: Path | None = None) -> Traversable | None:
    """The sample file NAME means: a sample's own name (with or without .json, _ for -), else a kind's name."""
    kind = kind_named(name)
    stems = [name, name.replace("_", "-")]
    if kind is not None:
        stems.append(KIND_SAMPLES.get(kind, kind.replace("_", "-")))
    for folder in sample_dirs(cwd):
        for stem in stems:
            for candidate in (stem, f"{stem}.json"):
                if (folder / candidate).is_file():
                    return folder / candidate
    return None


def sample_names(cwd: Path | None = None) -> list[str]:
    names: set[str] = set()
    for folder in sample_dirs(cwd):
        if folder.is_dir():
            names.update(p.name.removesuffix(".json") for p in folder.iterdir() if p.name.endswith(".json"))
    return sorted(names)


def from_json(data: Any, source: str) -> Payload:
    """A payload from a parsed file: a request description ({"method", "headers", "body"?}) or a body to POST."""
    if isinstance(data, dict) and "method" in data and "eventType" not in data:
        method = str(data["method"]).upper()
        raw_headers = data.get("headers") or {}
        if not isinstance(raw_headers, dict):
            raise HookdevError(f"{source}: \"headers\" must be an object of name to value")
        headers: Headers = tuple((str(k), str(v)) for k, v in raw_headers.items())
        body = data.get("body")
        raw = b"" if body is None else body.encode() if isinstance(body, str) else json.dumps(body).encode()
        return Payload(method, raw, headers, kind_of(method, headers, raw), source)
    raw = json.dumps(data).encode()
    return Payload("POST", raw, (), kind_of("POST", (), raw), source)


def from_file(path: Traversable, source: str | None = None) -> Payload:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise HookdevError(f"cannot read {path}: {exc.strerror}") from None
    try:
        data = jsontext.loads(raw)
    except ValueError as exc:
        raise HookdevError(f"{path} is not JSON ({exc}); give a hook body or a request description") from None
    payload = from_json(data, source or str(path))
    if payload.method == "POST" and not (isinstance(data, dict) and "method" in data and "eventType" not in data):
        # A body file is sent byte for byte, as Okta would send what the file holds.
        payload = Payload("POST", raw, (), payload.kind, payload.source)
    return payload


def from_exchange(ex: Exchange, body: bytes | None = None) -> Payload:
    """The stored call again: its method, body and headers, minus connection headers and credentials."""
    headers = tuple((k, v) for k, v in ex.request.headers if k.lower() not in DROPPED_HEADERS)
    raw = ex.request.body if body is None else body
    method = ex.request.method.upper()
    return Payload(method, raw, headers, kind_of(method, headers, raw), f"exchange {ex.id}", replay_of=ex.id)


def verification(challenge: str | None = None) -> Payload:
    """The one-time event hook verification GET, with a random challenge unless one is given."""
    value = challenge or secrets.token_urlsafe(24)
    headers: Headers = (("X-Okta-Verification-Challenge", value),)
    return Payload("GET", b"", headers, "event_verification", "verification challenge")


def load(spec: str, *, store_path: Path | None = None, cwd: Path | None = None) -> Payload:
    """PAYLOAD as the user typed it: a file, a sample name, or a stored exchange id (or unique prefix)."""
    path = Path(spec).expanduser()
    if path.is_file():
        return from_file(path)
    sample = find_sample(spec, cwd)
    if sample is not None:
        return from_file(sample, f"sample {sample.name}")
    if store_path is not None and store_path.exists():
        store = Store(store_path, readonly=True)
        try:
            ex = store.get(spec)
        except StoreError as exc:  # a prefix of several exchanges: the user must type more of it
            raise UsageError(str(exc)) from None
        finally:
            store.close()
        if ex is not None:
            return from_exchange(ex)
    names = ", ".join(sample_names(cwd)) or "none found"
    raise UsageError(
        f"{spec!r} is not a file, a sample name or a stored exchange id. Samples: {names}. "
        "Stored ids: `hookdev list` (pass --store PATH for another store)."
    )


def parse_value(text: str) -> Any:
    """A --set value: JSON when it parses (numbers, true, null, objects), otherwise the plain string."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def set_path(data: Any, dotted: str, value: Any) -> Any:
    """data with the field at a dotted path (list indexes as numbers) set to value; objects are created as needed."""
    steps = dotted.split(".")
    if not dotted or any(not s for s in steps):
        raise ConfigError(f"--set {dotted}", "the path must be dotted field names, e.g. data.userProfile.email")
    here = data
    for i, step in enumerate(steps):
        last = i == len(steps) - 1
        where = ".".join(steps[: i + 1])
        if isinstance(here, list):
            if not step.lstrip("-").isdigit() or not -len(here) <= int(step) < len(here):
                raise ConfigError(f"--set {dotted}", f"{where}: no item {step} in a list of {len(here)}")
            if last:
                here[int(step)] = value
            else:
                here = here[int(step)]
        elif isinstance(here, dict):
            if last:
                here[step] = value
            else:
                here = here.setdefault(step, {})
        else:
            raise ConfigError(f"--set {dotted}", f"{'.'.join(steps[:i]) or '$'} is not an object or a list")
    return data


def apply_sets(payload: Payload, sets: Sequence[str]) -> Payload:
    """The payload with each K=V of --set applied to its JSON body, re-serialised once at the end."""
    if not sets:
        return payload
    data = payload.parsed()
    if not isinstance(data, (dict, list)):
        raise ConfigError("--set", f"{payload.source} has no JSON body to edit")
    for item in sets:
        key, sep, value = item.partition("=")
        if not sep:
            raise ConfigError(f"--set {item}", "expected KEY=VALUE, e.g. --set data.userProfile.email=x@example.com")
        set_path(data, key.strip(), parse_value(value))
    raw = json.dumps(data).encode()
    return Payload(payload.method, raw, payload.headers, kind_of(payload.method, payload.headers, raw),
                   payload.source, payload.replay_of)


def challenge_of(payload: Payload) -> str | None:
    for name, value in payload.headers:
        if name.lower() == CHALLENGE_HEADER:
            return value
    return None
