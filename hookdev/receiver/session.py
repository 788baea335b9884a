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
from hookdev.errors import HookdevError, TunnelError
from hookdev.models import Exchange
from hookdev.receiver.server import HookServer, Receiver, bind_socket, create_app
from hookdev.receiver.store import Retention, Store
from hookdev.runtime import alive, read_runtime, remove_runtime, write_runtime

log = logging.getLogger(__name__)

MAX_PATHS = 10
EXAMPLE_PATHS = ("/registrationHook", "/tokenHook", "/samlHook", "/telephonyHook", "/passwordImport",
                 "/userImport", "/userDeactivated")


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
        self.paths = await asyncio.to_thread(self.store.recent_paths, MAX_PATHS)
        sock = bind_socket(s.server.host, s.server.port)
        host = s.server.host if ":" not in s.server.host else f"[{s.server.host}]"
        self.local_url = f"http://{'127.0.0.1' if host == '0.0.0.0' else host}:{sock.getsockname()[1]}"
        self.receiver = await self._build_receiver(self.store)
        self.server = HookServer(create_app(self.receiver), sock)
        await self.server.start()
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
            auth_scheme=s.auth.mode,
            extra_routes=extra,
        )

    async def _start_tunnel(self, port: int) -> None:
        from hookdev.auth.published import tunnel_verdict
        from hookdev.tunnel import NgrokTunnel

        refused, warnings = tunnel_verdict(self.settings)
        if refused is not None:
            self.tunnel_error = refused
            self.notify("error", f"no tunnel: {refused} (the local receiver keeps running at {self.local_url})")
            return
        if self.tunnel is None:
            tunnel = self.settings.tunnel
            if tunnel.ngrok_path:
                tunnel = dataclasses.replace(tunnel, ngrok_path=str(self.settings.path(tunnel.ngrok_path)))
            self.tunnel = NgrokTunnel(tunnel, self.store_path.parent)
        self.tunnel.on_event(lambda event: self.notify(event.kind, event.message))
        try:
            self.public_url = await self.tunnel.start(port)
        except TunnelError as exc:
            self.tunnel_error = str(exc)
            self.notify("error", f"tunnel: {exc} (the local receiver keeps running at {self.local_url})")
            return
        await asyncio.to_thread(self._write_runtime)
        for warning in warnings:
            self.notify("warning", f"the public URL {self.public_url} lets anyone in: {warning}")

    async def _start_okta(self) -> None:
        from hookdev.okta_api.link import OktaLink

        assert self.store is not None
        self.okta = OktaLink(self.settings, self.store_path, self.notify, store=self.store)
        await self.okta.start(self.public_url, await asyncio.to_thread(self.store.kind_paths))

    def _recorded(self, exchange: Exchange) -> None:
        self.counters.count(exchange)
        path = exchange.request.path
        if exchange.kind != "unknown" and (not self.paths or self.paths[0] != path):
            self.paths = [path, *(p for p in self.paths if p != path)][:MAX_PATHS]
        self._report_store_health()
        for listener in list(self._listeners):
            try:
                listener(exchange)
            except Exception:
                log.exception("exchange listener failed")

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
            self.notify("error", f"{dropped - self._dropped} unrecorded call(s) given up: the disk still refuses "
                                 f"writes and at most {mib} MiB of calls wait in memory (free some space)")
            self._dropped = dropped

    def _write_runtime(self) -> None:
        write_runtime(self.store_path, {"url": self.local_url, "public_url": self.public_url, "pid": os.getpid(),
                                        "auth": self.settings.auth.mode})

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
        if self.server is not None:
            await self.server.stop()
            self.server = None
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
