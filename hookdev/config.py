"""Settings from hookdev.toml, HOOKDEV_* environment variables, a Glitch-style .env, and flags."""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_args, get_type_hints

from hookdev.errors import ConfigError
from hookdev.loopback import is_remote_url

AUTH_MODES = ("none", "basic", "header", "oauth")


@dataclass(frozen=True, slots=True)
class ServerSettings:
    host: str = "127.0.0.1"
    """The tunnel is the only public way in: bind loopback unless told otherwise."""
    port: int = 8080
    store: str = ".hookdev/hookdev.db"
    max_body: int = 1024 * 1024
    """Largest request body accepted, in bytes; larger ones are answered 413."""
    max_exchanges: int = 100_000
    """Retention: the store keeps the newest this many exchanges; the oldest go first."""
    max_store_mb: int = 1024
    """Retention: the store stays within this many MiB; the oldest exchanges go first."""
    read_timeout: float = 10.0
    """Seconds a connection has to send its request headers (after it opens or after its last answer) and then its
    body; a slow or idle connection is closed, a late body answered 408."""


@dataclass(frozen=True, slots=True)
class AuthSettings:
    mode: str = "basic"
    enforce: bool = True
    username: str = "admin"
    password: str = field(default="supersecret", repr=False)
    header: str = "authorization"
    secret: str = field(default="", repr=False)
    issuer: str = ""
    """Empty in oauth mode: the local authorization server mounted in serve is the issuer."""
    audience: str = "api://default"
    client_id: str = ""
    scope: str = ""
    jwks_uri: str = ""
    """Optional override of where the keys are; default {issuer}/v1/keys or discovery."""
    algorithms: tuple[str, ...] = ("RS256",)
    leeway: int = 120
    token_url: str = ""
    send_client_id: str = ""
    """The client hookdev send/replay authenticate as; defaults to client_id, then the first authserver client."""
    client_secret: str = field(default="", repr=False)
    private_key: str = ""


@dataclass(frozen=True, slots=True)
class ResponsesSettings:
    dir: str = ".hookdev/responses"
    handler: str = ""
    forward: str = ""
    forward_timeout: float = 3.0
    """Seconds to wait for the forward upstream; Okta itself waits 3 s."""
    handler_timeout: float = 10.0
    """Seconds after a call arrives when a handler still running (or still waiting for a worker thread) is given
    up on and the call answered 504; Okta itself waits 3 s."""


@dataclass(frozen=True, slots=True)
class ClientSettings:
    client_id: str
    client_secret: str = field(default="", repr=False)
    public_key: str = ""


@dataclass(frozen=True, slots=True)
class AuthServerSettings:
    mount: bool = True
    """Serve the local authorization server inside `serve`, under `path`; never when auth.issuer is an
    authorization server elsewhere (an Okta org), whose tokens are the only ones accepted."""
    path: str = "/oauth2/default"
    audience: str = "api://default"
    scopes: tuple[str, ...] = ("okta.hooks",)
    token_lifetime: int = 3600
    key_file: str = ".hookdev/authserver-keys.json"
    port: int = 8081
    """Port of `hookdev authserver` when run on its own."""
    clients: tuple[ClientSettings, ...] = (
        ClientSettings(client_id="okta-hooks", client_secret="hookdev-local-secret"),
    )


@dataclass(frozen=True, slots=True)
class TunnelSettings:
    enabled: bool = False
    authtoken: str = field(default="", repr=False)
    domain: str = ""
    region: str = ""
    ngrok_path: str = ""
    """Path of the ngrok agent binary; hookdev never downloads one."""
    agent_env: tuple[str, ...] = ()
    """Environment variables (names or patterns like `MY_*`) handed to the agent besides those it needs anyway:
    PATH, HOME, the locale, TLS and proxy settings. Nothing else reaches it (no HOOKDEV_* secrets)."""
    allow_insecure: bool = False
    """Open the tunnel even with auth mode none or a published default credential (serve --insecure-tunnel)."""


OKTA_SCOPES = ("okta.inlineHooks.manage", "okta.eventHooks.manage", "okta.logs.read")
DEFAULT_EVENTS = ("user.lifecycle.create", "user.lifecycle.deactivate")


@dataclass(frozen=True, slots=True)
class OktaSettings:
    org_url: str = ""
    """https://{yourOktaDomain}; http:// only on loopback (a local double of the org)."""
    api_token: str = field(default="", repr=False)
    """An SSWS API token; also OKTA_API_TOKEN in the environment or .env."""
    client_id: str = ""
    """Or an OAuth 2.0 service app: its client id and private key (private_key_jwt)."""
    private_key: str = ""
    """PEM or JWK file of the service app's private key."""
    scopes: tuple[str, ...] = OKTA_SCOPES
    kinds: tuple[str, ...] = ()
    """The hooks `connect` registers; empty: the kinds recorded in the store."""
    events: tuple[str, ...] = ()
    """What the event hook subscribes to; setting it connects an event hook."""
    hook_key_id: str = ""
    """oauth mode with private_key_jwt: the Okta hook key (Workflow > Key Management) Okta signs with."""
    connect: bool = False
    """Connect when serve starts and disconnect when it stops (serve --okta)."""
    poll_interval: float = 10.0
    """Seconds between System Log polls while serve --okta runs."""


@dataclass(frozen=True, slots=True)
class Settings:
    server: ServerSettings = ServerSettings()
    auth: AuthSettings = AuthSettings()
    responses: ResponsesSettings = ResponsesSettings()
    authserver: AuthServerSettings = AuthServerSettings()
    tunnel: TunnelSettings = TunnelSettings()
    okta: OktaSettings = OktaSettings()
    base_dir: Path = Path(".")
    """Folder relative paths in the settings are resolved against (the config file's)."""
    sources: tuple[str, ...] = ()
    """Where the settings came from, for `--help`-style explanations."""

    def path(self, value: str) -> Path:
        """A configured path, resolved against the config's folder."""
        p = Path(value).expanduser()
        return p if p.is_absolute() else self.base_dir / p


SECTIONS: dict[str, type] = {
    "server": ServerSettings,
    "auth": AuthSettings,
    "responses": ResponsesSettings,
    "authserver": AuthServerSettings,
    "tunnel": TunnelSettings,
    "okta": OktaSettings,
}

Overrides = Mapping[tuple[str, str], Any]


def load_settings(
    config_file: str | Path | None = None,
    *,
    cwd: Path | None = None,
    environ: Mapping[str, str] | None = None,
    overrides: Overrides | None = None,
) -> Settings:
    """Merge file < environment < flags into Settings; raise ConfigError naming the key at fault."""
    cwd = Path.cwd() if cwd is None else cwd
    environ = os.environ if environ is None else environ
    raw: dict[str, dict[str, Any]] = {name: {} for name in SECTIONS}
    sources: list[str] = []
    base_dir = cwd

    path = Path(config_file) if config_file else cwd / "hookdev.toml"
    if config_file and not path.exists():
        raise ConfigError(str(path), "config file not found")
    if path.exists():
        _merge_file(raw, path)
        sources.append(str(path))
        base_dir = path.resolve().parent

    dotenv = base_dir / ".env"
    if dotenv.exists():
        _merge_dotenv(raw, dotenv)
        sources.append(str(dotenv))

    if environ.get("OKTA_API_TOKEN"):  # the environment beats the files; HOOKDEV_OKTA_API_TOKEN beats it
        raw["okta"]["api_token"] = ("env", "OKTA_API_TOKEN", environ["OKTA_API_TOKEN"])
    for name, value in environ.items():
        if not name.startswith("HOOKDEV_"):
            continue
        section, _, key = name[len("HOOKDEV_") :].lower().partition("_")
        if section in SECTIONS and key:
            raw[section][key] = ("env", name, value)
    token = environ.get("NGROK_AUTHTOKEN")
    if token and "authtoken" not in raw["tunnel"]:
        raw["tunnel"]["authtoken"] = ("env", "NGROK_AUTHTOKEN", token)

    for (section, key), value in (overrides or {}).items():
        if value is not None:
            raw[section][key] = ("flag", f"--{key}", value)

    built = {name: _build(name, cls, raw[name]) for name, cls in SECTIONS.items()}
    if is_remote_url(built["auth"].issuer):
        # Nothing needs the local server's tokens then, and its token URL would be public through the tunnel.
        built["authserver"] = dataclasses.replace(built["authserver"], mount=False)
    settings = Settings(**built, base_dir=base_dir, sources=tuple(sources))
    _check(settings)
    return settings


def _merge_file(raw: dict[str, dict[str, Any]], path: Path) -> None:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(path), f"not valid TOML: {exc}") from exc
    except OSError as exc:
        raise ConfigError(str(path), f"cannot be read: {exc.strerror}") from exc
    for section, values in data.items():
        if section not in SECTIONS:
            known = ", ".join(SECTIONS)
            raise ConfigError(section, f"unknown section in {path.name} (known: {known})")
        if not isinstance(values, dict):
            raise ConfigError(section, f"must be a table like [{section}]")
        for key, value in values.items():
            raw[section][key] = ("file", path.name, value)


def _merge_dotenv(raw: dict[str, dict[str, Any]], path: Path) -> None:
    """Read USER/PASSWORD (or BASIC_AUTH_USER/_PASSWORD) from the file itself, never os.environ."""
    from dotenv import dotenv_values  # only when there is a .env: the CLI's start stays light

    try:
        # Quotes, comments after a value, `export` and escapes as shells and python-dotenv read them; no
        # ${VAR} expansion, which would reach into the process environment (where USER is the login name).
        values = dotenv_values(path, interpolate=False, encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(str(path), f"cannot be read: {exc}") from exc
    user = values.get("BASIC_AUTH_USER") or values.get("USER")
    password = values.get("BASIC_AUTH_PASSWORD") or values.get("PASSWORD")
    if user and "username" not in raw["auth"]:
        raw["auth"]["username"] = ("file", path.name, user)
    if password and "password" not in raw["auth"]:
        raw["auth"]["password"] = ("file", path.name, password)
    token = values.get("NGROK_AUTHTOKEN")
    if token and "authtoken" not in raw["tunnel"]:
        raw["tunnel"]["authtoken"] = ("file", path.name, token)
    api_token = values.get("OKTA_API_TOKEN")
    if api_token and "api_token" not in raw["okta"]:
        raw["okta"]["api_token"] = ("file", path.name, api_token)


def _build(section: str, cls: type, values: dict[str, Any]) -> Any:
    hints = get_type_hints(cls)
    kwargs: dict[str, Any] = {}
    for key, (origin, where, value) in values.items():
        if key not in hints:
            known = ", ".join(f.name for f in dataclasses.fields(cls))
            raise ConfigError(f"{section}.{key}", f"unknown key (from {where}); known keys: {known}")
        kwargs[key] = _coerce(f"{section}.{key}", hints[key], value, origin == "env")
    return cls(**kwargs)


def _coerce(key: str, hint: Any, value: Any, from_env: bool) -> Any:
    if hint is bool:
        if isinstance(value, bool):
            return value
        if from_env and str(value).lower() in ("1", "true", "yes", "on", "0", "false", "no", "off"):
            return str(value).lower() in ("1", "true", "yes", "on")
        raise ConfigError(key, f"must be true or false, got {value!r}")
    if hint is int or hint is float:
        number = _number(value, hint, from_env)
        if number is None:
            raise ConfigError(key, f"must be {'a whole number' if hint is int else 'a number'}, got {value!r}")
        return number
    if hint is str:
        if not isinstance(value, str):
            raise ConfigError(key, f"must be a string, got {value!r}")
        return value
    if hint == tuple[str, ...]:
        if from_env and isinstance(value, str):
            return tuple(v.strip() for v in value.split(",") if v.strip())
        if isinstance(value, str):
            return (value,)
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return tuple(value)
        raise ConfigError(key, f"must be a list of strings, got {value!r}")
    if get_args(hint) and get_args(hint)[0] is ClientSettings:
        return _clients(key, value)
    raise ConfigError(key, "cannot be set this way")


def _number(value: Any, hint: type, from_env: bool) -> Any:
    """A TOML number of the right kind (never a bool), or the text of an environment variable; else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int) or (hint is float and isinstance(value, float)):
        return hint(value)
    if from_env and isinstance(value, str):
        try:
            return hint(value)
        except ValueError:
            return None
    return None


def _clients(key: str, value: Any) -> tuple[ClientSettings, ...]:
    if not isinstance(value, list):
        raise ConfigError(key, "must be a list of [[authserver.clients]] tables")
    clients = []
    for i, item in enumerate(value):
        where = f"{key}[{i}]"
        if not isinstance(item, dict) or not isinstance(item.get("client_id"), str):
            raise ConfigError(where, "needs a client_id string")
        unknown = set(item) - {"client_id", "client_secret", "public_key"}
        if unknown:
            raise ConfigError(
                f"{where}.{sorted(unknown)[0]}", "unknown key (known: client_id, client_secret, public_key)"
            )
        if not item.get("client_secret") and not item.get("public_key"):
            raise ConfigError(where, "needs client_secret or public_key")
        clients.append(
            ClientSettings(
                client_id=item["client_id"],
                client_secret=str(item.get("client_secret", "")),
                public_key=str(item.get("public_key", "")),
            )
        )
    return tuple(clients)


def _check(s: Settings) -> None:
    if s.auth.mode not in AUTH_MODES:
        raise ConfigError("auth.mode", f"must be one of {', '.join(AUTH_MODES)}, got {s.auth.mode!r}")
    if not 0 <= s.server.port <= 65535:
        raise ConfigError("server.port", f"must be between 0 and 65535, got {s.server.port}")
    if s.server.max_body < 1024:
        raise ConfigError("server.max_body", f"must be at least 1024 bytes, got {s.server.max_body}")
    if s.server.max_exchanges < 1:
        raise ConfigError("server.max_exchanges", f"must be at least 1, got {s.server.max_exchanges}")
    if s.server.max_store_mb < 1:
        raise ConfigError("server.max_store_mb", f"must be at least 1 (MiB), got {s.server.max_store_mb}")
    if s.server.read_timeout <= 0:
        raise ConfigError("server.read_timeout", "must be more than 0 seconds")
    if s.auth.mode == "header" and not s.auth.secret:
        raise ConfigError("auth.secret", "header mode needs the secret value Okta sends in the header")
    if s.auth.mode == "header" and not s.auth.header:
        raise ConfigError("auth.header", "header mode needs the header name")
    if s.auth.mode == "basic" and not (s.auth.username and s.auth.password):
        raise ConfigError("auth.username", "basic mode needs a username and a password")
    bad_algs = [a for a in s.auth.algorithms if not a.startswith(("RS", "PS", "ES", "EdDSA"))]
    if bad_algs or not s.auth.algorithms:
        raise ConfigError(
            "auth.algorithms",
            f"only asymmetric algorithms are allowed (RS256, PS256, ES256...), got {list(s.auth.algorithms)}",
        )
    if s.auth.leeway < 0:
        raise ConfigError("auth.leeway", "must not be negative")
    if s.responses.handler and s.responses.forward:
        raise ConfigError("responses.forward", "set either responses.handler or responses.forward, not both")
    if s.responses.forward and not s.responses.forward.startswith(("http://", "https://")):
        raise ConfigError("responses.forward", f"must be an http:// or https:// URL, got {s.responses.forward!r}")
    if s.responses.forward_timeout <= 0:
        raise ConfigError("responses.forward_timeout", "must be more than 0 seconds")
    if s.responses.handler_timeout <= 0:
        raise ConfigError("responses.handler_timeout", "must be more than 0 seconds")
    if not s.authserver.path.startswith("/"):
        raise ConfigError("authserver.path", "must start with /")
    if s.okta.poll_interval < 1:
        raise ConfigError("okta.poll_interval", "must be at least 1 second (Okta rate-limits the System Log)")
    if not 60 <= s.authserver.token_lifetime <= 86400:
        raise ConfigError("authserver.token_lifetime", "must be between 60 and 86400 seconds")
