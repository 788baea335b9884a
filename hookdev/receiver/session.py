"""The composition root: builds and owns the store, receiver, verifier, responder, authserver and tunnel."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from hookdev.config import Settings
from hookdev.control.protocol import answer_json
from hookdev.errors import HookdevError, TunnelError
from hookdev.io.terminal import is_safe
from hookdev.loopback import reachable_host
from hookdev.models import Exchange
from hookdev.receiver.control import ControlServer
from hookdev.receiver.server import HookServer, Receiver, bind_socket, create_app
from hookdev.receiver.store import Retention, Store
from hookdev.runtime import alive, read_runtime, remove_runtime, write_runtime

log = logging.getLogger(__name__)

MAX_PATHS = 10
MAX_PATH_OFFERED = 200
EXAMPLE_PATHS = ("/registrationHook", "/tokenHook", "/samlHook", "/telephonyHook", "/passwordImport",
                 "/userImport", "/userDeactivated")


def offerable(path: str) -> bool:
    """Whether a path a call used may be offered as a hook URL to paste into Okta: one a person could have set up,
    not a stranger's control characters or a kilobyte of padding."""
    return path.startswith("/") and len(path) <= MAX_PATH_OFFERED and is_safe(path) and " " not in path


@dataclass(slots=True)
class Counters:
    """Running totals shown in the inspector's header and the headless summary."""

    calls: int = 0
    rejected: int = 0
    invalid: int = 0
    errors: int = 0

    def count(self, exchange: Exchange) -> None:
        self.calls += 1
        self.rejected += not exchange.auth.ok
        self.invalid += not exchange.validation.ok
        self.errors += exchange.status >= 500

    def to_json(self) -> dict[str, int]:
        return {"calls": self.calls, "rejected": self.rejected, "invalid": self.invalid, "errors": self.errors}


@dataclass
class Session:
    """One running hookdev: start() brings everything up on the current loop, stop() takes it down."""

    settings: Settings
    tunnel: Any = None
    """A hookdev.tunnel.Tunnel; None builds one from settings when the tunnel is enabled."""
    store: Store | None = None
    counters: Counters = field(default_factory=Counters)
    local_url: str = ""
    public_url: str | None = None
    tunnel_error: str | None = None
    receiver: Receiver | None = None
    server: HookServer | None = None
    verifier: Any = None
    keys: Any = None
    _listeners: list[Callable[[Exchange], None]] = field(default_factory=list)
    _notices: list[Callable[[str, str], None]] = field(default_factory=list)
    _store_error: str | None = None
    _other: dict[str, Any] | None = None
    """The run-time record of another serve already running on the store when this one started."""
    _dropped: int = 0
    paths: list[str] = field(default_factory=list)
    """Hook paths in use: those of earlier calls in the store, then each new one as it arrives."""
    okta: Any = None
    """A hookdev.okta_api.link.OktaLink while serve --okta runs."""
    kind_paths: dict[str, list[str]] = field(default_factory=dict)
    """The paths each kind was called on, first seen first: the stable "paste into Okta" list of the views."""
    hidden_paths: frozenset[str] = frozenset()
    """Paths never offered to paste into Okta (the demo's deliberately buggy hook)."""
    auth_label: str = ""
    """How calls are checked, as views say it; empty: worked out from the settings."""
    answers_note: str = ""
    """How calls are answered (templates, which handler file, the forward URL), as views say it."""
    demo: bool = False
    """A `hookdev demo` session: views show the captions its deliberate failures carry."""
    control: ControlServer | None = None
    """The control channel views attach to (hookdev inspect), while the session runs."""
    breakpoints: Any = None
    """The hookdev.answers.breakpoints.BreakpointResponder views arm, once the session runs."""
    with_control: bool = True

    @property
    def store_path(self) -> Path:
        return self.settings.path(self.settings.server.store)

    @property
    def issuer(self) -> str:
        """The issuer whose tokens are accepted in oauth mode."""
        return self.settings.auth.issuer or self.local_issuer

    @property
    def local_issuer(self) -> str:
        return self.local_url + self.settings.authserver.path

    def hook_urls(self, paths: tuple[str, ...] | None = None) -> list[str]:
        """The URLs to paste into Okta: the paths in use (most recent first), else the guides' usual paths."""
        base = self.public_url or self.local_url
        return [base + p for p in (paths or tuple(self.paths) or EXAMPLE_PATHS)]

    def stable_hook_urls(self) -> list[str]:
        """The URLs to paste into Okta in an order that stays put as calls arrive: by kind, first path seen first."""
        from hookdev.models import KINDS

        base = self.public_url or self.local_url
        paths = [p for kind in KINDS for p in self.kind_paths.get(kind, ()) if p not in self.hidden_paths]
        unique = list(dict.fromkeys(paths))  # the event hook's verification and deliveries share a path
        return [base + p for p in unique[:MAX_PATHS]] or self.hook_urls()

    def state_changed(self) -> None:
        """Tell the views that something they show about the serve changed (URLs, tunnel, breakpoints)."""
        if self.control is not None:
            self.control.state_changed()

    def subscribe(self, listener: Callable[[Exchange], None]) -> None:
        """listener(exchange) after each exchange is recorded, on the event loop."""
        self._listeners.append(listener)

    def on_notice(self, listener: Callable[[str, str], None]) -> None:
        """listener(level, message) for things the user should see: tunnel died, store full..."""
        self._notices.append(listener)

    def notify(self, level: str, message: str) -> None:
        for listener in list(self._notices):
            listener(level, message)

    def install_breakpoints(self) -> Any:
        """Wrap the responder in a hookdev.answers.breakpoints.BreakpointResponder (idempotent) and return it."""
        from hookdev.answers.breakpoints import BreakpointResponder

        if self.receiver is None:
            raise RuntimeError("start the session before installing breakpoints")
        if not isinstance(self.receiver.responder, BreakpointResponder):
            self.receiver.responder = BreakpointResponder(self.receiver.responder)
        return self.receiver.responder

    @property
    def templates(self) -> Any:
        """The editable answers (a TemplateBook), or None when a handler or a forward answers."""
        return getattr(self.receiver.responder, "templates", None) if self.receiver is not None else None

    async def replay(self, exchange_id: str, *, to: str | None = None, edited_body: bytes | None = None) -> Any:
        """Send a recorded call again (to this receiver unless `to`); the copy lands as a new exchange."""
        from hookdev.send.replay import replay

        if self.store is None:
            raise RuntimeError("start the session before replaying")
        return await replay(self.store, exchange_id, self.settings, to=to or self.local_url, edited_body=edited_body)

    async def start(self) -> None:
        s = self.settings
        if self.store is None:
            retention = Retention(s.server.max_exchanges, s.server.max_store_mb * 1024 * 1024)
            self.store = await asyncio.to_thread(lambda: Store(self.store_path, retention=retention))
        self.store.start()
        self.store.subscribe(self._recorded)
        self.paths = [p for p in await asyncio.to_thread(self.store.recent_paths, MAX_PATHS) if offerable(p)]
        self.kind_paths = {kind: [path] for kind, path in (await asyncio.to_thread(self.store.kind_paths)).items()
                           if offerable(path)}
        sock = bind_socket(s.server.host, s.server.port)
        self.local_url = f"http://{reachable_host(s.server.host)}:{sock.getsockname()[1]}"
        self.receiver = await self._build_receiver(self.store)
        self.server = HookServer(create_app(self.receiver), sock)
        await self.server.start()
        self.breakpoints = self.install_breakpoints()
        if self.with_control:
            await self._start_control()
        self._other = await asyncio.to_thread(read_runtime, self.store_path)
        if self._other is not None and self._other.get("pid") != os.getpid():
            self.notify("warning", f"another hookdev serve (pid {self._other.get('pid')}, {self._other.get('url')}) "
                                   f"records to {self.store_path} too; `replay` and `inspect` reach this one "
                                   f"({self.local_url}) until it stops. Give each serve its own --store.")
        await asyncio.to_thread(self._write_runtime)
        if s.tunnel.enabled or self.tunnel is not None:
            await self._start_tunnel(self.server.port)
        if s.okta.connect:
            await self._start_okta()

    async def _start_control(self) -> None:
        from hookdev.receiver.commands import commands, hold_json, view_state

        control = self.control = ControlServer(self.store_path, lambda: view_state(self), commands(self))
        await control.start()
        if self.receiver is not None:
            self.receiver.answered = {}
        clock = self.breakpoints.clock
        self.breakpoints.on_hold(lambda held: control.hold(hold_json(held, clock())))
        self.breakpoints.on_release(lambda held: control.release(held.id, held.released, answer_json(held.answer)))
        self.on_notice(control.notice)

    async def _build_receiver(self, store: Store) -> Receiver:
        from hookdev.answers.responders import build_responder
        from hookdev.auth.verifiers import build_verifier
        from hookdev.okta.validate import validate

        s = self.settings
        extra: list[Callable[[web.Application], object]] = []
        if s.authserver.mount:
            from hookdev.auth.authserver import create_authserver_app
            from hookdev.auth.keys import KeyStore

            self.keys = await asyncio.to_thread(KeyStore.load, s.path(s.authserver.key_file))
            # The issuer is pinned to the local URL, as Okta pins its own: tokens fetched through the tunnel
            # carry the same iss the verifier expects.
            sub = create_authserver_app(s.authserver, self.keys, issuer=self.local_issuer, base_dir=s.base_dir)
            extra.append(lambda app: app.add_subapp(s.authserver.path, sub))
        self.verifier = build_verifier(s.auth, local_issuer=self.local_issuer if s.authserver.mount else None)
        responder = await build_responder(s, notify=self.notify)
        return Receiver(
            store=store,
            responder=responder,
            verifier=self.verifier,
            validator=validate,
            enforce=s.auth.enforce,
            max_body=s.server.max_body,
            read_timeout=s.server.read_timeout,
            auth_scheme=s.auth.mode,
            extra_routes=extra,
        )

    async def _start_tunnel(self, port: int) -> None:
        from hookdev.auth.published import tunnel_verdict
        from hookdev.tunnel import NgrokTunnel

        refused, warnings = tunnel_verdict(self.settings)
        if refused is not None:
            self.tunnel_error = refused
            self.state_changed()
            self.notify("error", f"no tunnel: {refused} (the local receiver keeps running at {self.local_url})")
            return
        if self.tunnel is None:
            tunnel = self.settings.tunnel
            if tunnel.ngrok_path:
                tunnel = dataclasses.replace(tunnel, ngrok_path=str(self.settings.path(tunnel.ngrok_path)))
            self.tunnel = NgrokTunnel(tunnel, self.store_path.parent)
        self.tunnel.on_event(self._tunnel_event)
        try:
            self.public_url = await self.tunnel.start(port)
        except TunnelError as exc:
            self.tunnel_error = str(exc)
            self.state_changed()
            self.notify("error", f"tunnel: {exc} (the local receiver keeps running at {self.local_url})")
            return
        await asyncio.to_thread(self._write_runtime)
        self.state_changed()
        for warning in warnings:
            self.notify("warning", f"the public URL {self.public_url} lets anyone in: {warning}")

    def _tunnel_event(self, event: Any) -> None:
        """What the agent did on its own; a restart may come back at another public URL (a free plan's does)."""
        url = getattr(self.tunnel, "public_url", None)
        if event.kind == "restarted" and url and url != self.public_url:
            self.public_url = url
            self._write_runtime()
            self.state_changed()
        self.notify(event.kind, event.message)

    async def _start_okta(self) -> None:
        from hookdev.okta_api.link import OktaLink

        assert self.store is not None
        self.okta = OktaLink(self.settings, self.store_path, self.notify, store=self.store, tunnel=self.tunnel)
        report = self.okta.report

        def on_events(events: list[dict[str, Any]], matches: dict[str, str]) -> None:
            report(events, matches)
            if self.control is not None and matches:  # an open Okta tab of one of these calls reads them now
                self.control.broadcast({"event": "okta", "exchanges": sorted(set(matches.values()))})

        self.okta.on_events = on_events
        await self.okta.start(self.public_url, await asyncio.to_thread(self.store.kind_paths))

    def _recorded(self, exchange: Exchange) -> None:
        self.counters.count(exchange)
        path = exchange.request.path
        if exchange.kind != "unknown" and exchange.auth.ok and not self._known(exchange.kind, path) and offerable(path):
            if not self.paths or self.paths[0] != path:
                self.paths = [path, *(p for p in self.paths if p != path)][:MAX_PATHS]
            known = self.kind_paths.setdefault(exchange.kind, [])
            if path not in known and len(known) < MAX_PATHS:
                known.append(path)
                self.state_changed()
        if self.control is not None:
            answered = self.receiver.answered if self.receiver is not None else None
            ms = answered.pop(exchange.id, None) if answered else None
            if answered is not None and len(answered) > 10_000:
                answered.clear()  # ids of calls the store refused to notify about: never read
            if self.control.views:
                self.control.exchange(exchange, self.counters.to_json(), ms)
        self._report_store_health()
        for listener in list(self._listeners):
            try:
                listener(exchange)
            except Exception:
                log.exception("exchange listener failed")

    def _known(self, kind: str, path: str) -> bool:
        """Whether `path` is the newest path in use and one known for `kind` already (a burst of calls to one
        hook): nothing to update, nor to check."""
        return bool(self.paths) and self.paths[0] == path and path in self.kind_paths.get(kind, ())

    def _report_store_health(self) -> None:
        error = self.store.last_error if self.store is not None else None
        if error and error != self._store_error:
            self.notify("error", f"recording to {self.store_path} failed ({error}); answers still go back, "
                                 "and the calls are kept in memory and written when the disk accepts them again")
        elif self._store_error and not error:
            self.notify("info", f"recording to {self.store_path} works again")
        self._store_error = error
        dropped = self.store.dropped if self.store is not None else 0
        if dropped > self._dropped:
            mib = self.store.max_pending_bytes // (1024 * 1024) if self.store is not None else 0
            lost = dropped - self._dropped
            self.notify("error", f"{lost} unrecorded call{'' if lost == 1 else 's'} given up: the disk still refuses "
                                 f"writes and at most {mib} MiB of calls wait in memory (free some space)")
            self._dropped = dropped

    def _write_runtime(self) -> None:
        record: dict[str, Any] = {"url": self.local_url, "public_url": self.public_url, "pid": os.getpid(),
                                  "auth": self.settings.auth.mode}
        if self.control is not None and self.control.address is not None:
            record["control"] = self.control.address.to_json()
            record["token"] = self.control.token
        write_runtime(self.store_path, record)

    async def close_views(self) -> None:
        """Close the control channel: attached views see serve leave (serve's own inspector then exits)."""
        if self.control is not None:
            control, self.control = self.control, None
            await control.stop()

    async def stop(self) -> None:
        """Stop taking calls, close the tunnel, flush the store; safe to call twice."""
        if self.okta is not None:  # first, while Okta can still reach the receiver: the org stops calling
            okta, self.okta = self.okta, None
            await okta.stop()
        if self.tunnel is not None:
            try:
                await self.tunnel.stop()
            except HookdevError as exc:
                log.warning("tunnel stop: %s", exc)
        if self.breakpoints is not None:
            self.breakpoints.release_all()  # a held call gets its answer now, not when the socket closes
        if self.server is not None:
            await self.server.stop()
            self.server = None
        await self.close_views()
        if self.verifier is not None and hasattr(self.verifier, "close"):
            await self.verifier.close()
            self.verifier = None
        if self.receiver is not None and hasattr(self.receiver.responder, "close"):
            await self.receiver.responder.close()
        if self.store is not None:
            store, self.store = self.store, None
            await asyncio.to_thread(store.close)
            removed = remove_runtime(self.store_path, os.getpid())
            other = self._other
            if removed and other is not None and other.get("pid") != os.getpid() and alive(other.get("pid")):
                write_runtime(self.store_path, other)  # the serve that was here first is the one running now
