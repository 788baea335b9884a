"""The aiohttp receiver: every path is a hook endpoint; each call is snapshotted, checked, answered and stored."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import socket
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from aiohttp import web

from hookdev import jsontext
from hookdev.models import (
    JSON_HEADERS,
    NO_AUTH,
    Answer,
    AuthVerdict,
    Exchange,
    HookCall,
    Kind,
    RequestSnapshot,
    ResponseSnapshot,
    Validation,
    new_id,
)
from hookdev.okta.kinds import CHALLENGE_HEADER, classify, classify_body
from hookdev.receiver.connections import ConnectionGuard
from hookdev.receiver.store import Store

log = logging.getLogger(__name__)

OKTA_BUDGET_S = 3.0
KEPT_OF_OVERSIZED = 64 * 1024
"""How much of a body over the limit is kept in the store, so the user can see what it was."""
KEPT_OF_REFUSED = 4 * 1024
"""How much of the body of a call refused by auth is kept: enough to recognise it, too little to fill a disk."""
READ_TIMEOUT_S = 10.0
"""The default of [server] read_timeout. A connection's request headers must be in this many seconds after it
opens or after its last answer, otherwise (half-sent headers, an idle keep-alive) it is closed; a call's body
this many seconds after its headers (Okta sends it at once and waits 3 s in all), otherwise it is answered 408
and its connection closed."""
_ALL_IN = contextlib.nullcontext()
REPLAY_HEADER = "X-Hookdev-Replay-Of"
EVENT_HOOKS_NO_OAUTH = (
    ". Note: Okta secures event hooks with a header secret only, never OAuth 2.0; "
    "use [auth] mode = basic or header for event hooks"
)


class Verifier(Protocol):
    async def verify(self, request: RequestSnapshot) -> AuthVerdict: ...


class Responder(Protocol):
    """Answers hook calls. The event hook verification GET is answered by the receiver itself (an echo of the
    challenge) unless the responder has a true `relays_verification`: forward mode, where the user's own service
    answers it."""

    async def respond(self, call: HookCall) -> Answer: ...


Validator = Callable[[Kind, ResponseSnapshot, Any, float], Validation]


@dataclass(slots=True)
class Receiver:
    """What the receiver needs; the session fills it in and may swap parts (e.g. the responder) at run time."""

    store: Store
    responder: Responder
    verifier: Verifier | None = None
    validator: Validator | None = None
    enforce: bool = True
    max_body: int = 1024 * 1024
    read_timeout: float = READ_TIMEOUT_S
    auth_scheme: str = "none"
    extra_routes: list[Callable[[web.Application], object]] = field(default_factory=list)
    answered: dict[str, float] | None = None
    """When set (views are attached), ms from arrival until each answer was handed back, by exchange id: the
    answer waits for its commit, so this is after the record is written, and cannot be in it."""


RECEIVER = web.AppKey("receiver", Receiver)
CONNECTIONS = web.AppKey("connections", ConnectionGuard)


class _Refused(Exception):
    """A request hookdev answers with an error before any responder sees it."""

    def __init__(self, status: int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.payload = {"error": message, **extra}


def create_app(receiver: Receiver) -> web.Application:
    """The receiver app: extra routes (the local authorization server) first, then every path as a hook."""
    app = web.Application(client_max_size=receiver.max_body + 1)
    app[RECEIVER] = receiver
    for add_routes in receiver.extra_routes:
        add_routes(app)
    app.router.add_route("*", "/{tail:.*}", handle_hook)
    return app


async def read_snapshot(request: web.Request, limit: int,
                        timeout: float = READ_TIMEOUT_S) -> tuple[RequestSnapshot, bool | None]:
    """Read the request once; (snapshot, too_large), too_large None when the body took over `timeout` seconds.
    An oversized or late body keeps only what arrived in time (of an oversized one, its first bytes)."""
    declared = request.content_length
    too_large = declared is not None and declared > limit
    # With a declared size over the limit, read only the start worth keeping, then stop.
    budget = KEPT_OF_OVERSIZED if too_large else limit + 1
    chunks: list[bytes] = []
    size = 0
    lost = late = False
    # With a declared size, stop once it has arrived instead of asking the stream once more for its end.
    end = min(budget, declared) if declared is not None else budget
    if request.can_read_body:
        # A body already all in (the usual call: it comes with its headers) is read without a deadline to keep,
        # which would cost more than the read itself.
        deadline = _ALL_IN if request.content.is_eof() else asyncio.timeout(timeout)
        try:
            async with deadline:
                while size < end:
                    chunk = await request.content.read(min(64 * 1024, budget - size))
                    if not chunk:
                        break
                    size += len(chunk)
                    chunks.append(chunk)
        except ConnectionResetError:
            lost = True  # the caller hung up mid-body: what did arrive is still recorded, marked truncated
        except TimeoutError:
            late = True  # a trickle (slowloris): what arrived is recorded, the connection is closed
        too_large = too_large or size > limit
    body = b"".join(chunks)
    if too_large:
        body = body[:KEPT_OF_OVERSIZED]
    peer = request.transport.get_extra_info("peername") if request.transport else None
    snapshot = RequestSnapshot(
        method=request.method,
        path=request.path,
        query=request.query_string,
        headers=tuple(request.headers.items()),
        body=body,
        remote=str(peer[0]) if peer else "",
        truncated=too_large or lost or late,
    )
    return snapshot, None if late and not too_large else too_large


def parse_body(snapshot: RequestSnapshot) -> Any:
    """The JSON body of a hook call, or _Refused(400) saying what is wrong with it."""
    if not snapshot.body.strip():
        raise _Refused(400, "empty body: Okta always sends a JSON object; send one with Content-Type: application/json")
    try:
        return jsontext.loads(snapshot.body)
    except jsontext.TooDeep:
        raise _Refused(
            400, f"the JSON body is nested too deeply to read (over {jsontext.MAX_DEPTH} levels of arrays and objects)"
        ) from None
    except UnicodeDecodeError as exc:
        raise _Refused(400, f"the body is not valid UTF-8 (byte {exc.start}); Okta sends UTF-8 JSON") from None
    except ValueError as exc:
        raise _Refused(400, f"the body is not valid JSON: {exc}") from None


async def handle_hook(request: web.Request) -> web.StreamResponse:
    """One hook call, from snapshot to stored exchange; the answer leaves only once it is recorded."""
    receiver = request.app[RECEIVER]
    started = time.monotonic()
    arrived = time.time()
    snapshot, too_large = await read_snapshot(request, receiver.max_body, receiver.read_timeout)
    guard, transport = request.app.get(CONNECTIONS), request.transport
    if guard is None or transport is None:
        out = await _handle(receiver, snapshot, too_large, started, arrived)
    else:
        guard.answering(transport)
        try:
            out = await _handle(receiver, snapshot, too_large, started, arrived)
        finally:
            guard.answered(transport)
    if too_large is None and transport is not None:
        # A trickled body: answer, then close, rather than linger reading the rest of it.
        out.force_close()
        await out.prepare(request)
        await out.write_eof()
        transport.close()
    return out


async def _handle(receiver: Receiver, snapshot: RequestSnapshot, too_large: bool | None, started: float,
                  arrived: float) -> web.StreamResponse:
    verdict = await _verify(receiver, snapshot)
    kind, body, bad_body = _read_call(snapshot, too_large, receiver)
    if not verdict.ok and verdict.scheme == "oauth" and kind in ("event", "event_verification"):
        verdict = dataclasses.replace(verdict, detail=verdict.detail + EVENT_HOOKS_NO_OAUTH)
    try:
        answer = await _answer(receiver, snapshot, kind, body, bad_body, verdict, started)
    except _Refused as refused:
        answer = Answer.json(refused.status, refused.payload, source="error", error=str(refused))
    answer = _public(answer)
    if not verdict.ok and receiver.enforce and len(snapshot.body) > KEPT_OF_REFUSED:
        snapshot = dataclasses.replace(snapshot, body=snapshot.body[:KEPT_OF_REFUSED], truncated=True)
    duration_ms = (time.monotonic() - started) * 1000
    response = ResponseSnapshot(status=answer.status, headers=answer.headers, body=answer.body)
    exchange = Exchange(
        id=new_id(arrived),
        time=arrived,
        kind=kind,
        request=snapshot,
        response=response,
        auth=verdict,
        validation=refusal(answer, verdict) or _validate(receiver, kind, response, snapshot, body, duration_ms),
        duration_ms=duration_ms,
        replay_of=snapshot.header(REPLAY_HEADER),
        source=answer.source,
        log=answer.log,
        error=answer.error,
    )
    await receiver.store.add(exchange)
    if receiver.answered is not None:
        receiver.answered[exchange.id] = (time.monotonic() - started) * 1000
    out = web.Response(status=answer.status, body=answer.body, headers=dict(answer.headers))
    out.headers["X-Hookdev-Exchange"] = exchange.id
    if answer.status == 405:
        out.headers["Allow"] = "GET, POST"
    return out


def _read_call(snapshot: RequestSnapshot, too_large: bool | None,
               receiver: Receiver) -> tuple[Kind, Any, _Refused | None]:
    """The call's kind and parsed body, or why it cannot be read (kept for after the auth decision)."""
    if snapshot.method not in ("GET", "POST"):
        refused = _Refused(405, f"Okta only sends POST (and GET to verify an event hook), not {snapshot.method}")
        return "unknown", None, refused
    if too_large is None:
        return "unknown", None, _Refused(
            408, f"the body did not arrive within {receiver.read_timeout:g} s of the headers (server.read_timeout)")
    if too_large:
        return "unknown", None, _Refused(
            413, f"the body is larger than the limit of {receiver.max_body} bytes (server.max_body)")
    if snapshot.method == "GET":
        kind = classify(snapshot, body={})
        if kind != "event_verification":
            return kind, None, _Refused(
                400,
                "a GET is only sent by Okta to verify an event hook, with an X-Okta-Verification-Challenge "
                "header; this one has none. Hook calls are POSTs with a JSON body.",
            )
        return kind, None, None
    try:
        body = parse_body(snapshot)
    except _Refused as refused:
        return "unknown", None, refused
    return classify_body(body), body, None


async def _answer(
    receiver: Receiver,
    snapshot: RequestSnapshot,
    kind: Kind,
    body: Any,
    bad_body: _Refused | None,
    verdict: AuthVerdict,
    started: float,
) -> Answer:
    """What goes back: 405/408/413 first, then auth (a caller without credentials learns nothing of its body)."""
    if bad_body is not None and bad_body.status in (405, 408, 413):
        raise bad_body
    if not verdict.ok and receiver.enforce:
        return _unauthorized(verdict)
    if bad_body is not None:
        raise bad_body
    if kind == "event_verification" and not getattr(receiver.responder, "relays_verification", False):
        challenge = snapshot.header(CHALLENGE_HEADER) or ""
        return Answer.json(200, {"verification": challenge}, source="verification")
    call = HookCall(kind=kind, request=snapshot, body=body, deadline=started + OKTA_BUDGET_S)
    return await _respond(receiver, call)


async def _verify(receiver: Receiver, snapshot: RequestSnapshot) -> AuthVerdict:
    if receiver.verifier is None:
        return NO_AUTH
    try:
        return await receiver.verifier.verify(snapshot)
    except Exception as exc:  # a verifier bug must not take the receiver down
        log.exception("auth verifier failed")
        return AuthVerdict(scheme=receiver.auth_scheme, ok=False, reason="malformed", detail=f"verifier error: {exc}")  # type: ignore[arg-type]


def _unauthorized(verdict: AuthVerdict) -> Answer:
    # The reason code only: which half of a Basic pair was wrong, issuer and key-set URLs, known key ids all
    # stay in the store and the views (verdict.detail), never with a caller who may be guessing.
    challenge = {"basic": 'Basic realm="hookdev"', "oauth": 'Bearer realm="hookdev"'}.get(verdict.scheme)
    payload = {"error": "unauthorized", "reason": verdict.reason}
    answer = Answer.json(401, payload, source="auth", error=f"auth refused: {verdict.reason}")
    if challenge:
        answer = Answer(
            status=401,
            body=answer.body,
            headers=(*answer.headers, ("WWW-Authenticate", challenge)),
            source="auth",
            error=answer.error,
        )
    return answer


async def _respond(receiver: Receiver, call: HookCall) -> Answer:
    try:
        return await receiver.responder.respond(call)
    except Exception as exc:  # the responder decides most failures itself; this is the last net
        log.exception("responder failed")
        return Answer.json(500, {}, source="error", log=traceback.format_exc(), error=f"{type(exc).__name__}: {exc}")


PUBLIC_FAILURES = {
    ("handler", 500): "the hook handler failed",
    ("handler", 504): "the hook handler did not answer in time",
    ("template", 500): "the answer template for this call cannot be used",
    ("forward", 502): "the service behind hookdev did not answer",
    ("forward", 504): "the service behind hookdev did not answer in time",
}


def _public(answer: Answer) -> Answer:
    """What a caller may see of a failure hookdev had itself: what kind of failure, never its text.

    Exception messages, file paths, tracebacks and upstream URLs stay in the exchange (error, log) for the
    developer; the caller, who may be a stranger on the tunnel, gets one sentence and the exchange to look up.
    An answer a handler or upstream chose itself (no `error`) goes out as it is, whatever its status.
    """
    if answer.error is None or answer.status < 500:
        return answer
    what = PUBLIC_FAILURES.get((answer.source, answer.status), "hookdev could not answer this call")
    payload = {"error": f"{what}; the details are in hookdev, with this exchange"}
    headers = tuple((k, v) for k, v in answer.headers if k.lower() != "content-type") + JSON_HEADERS
    return Answer(answer.status, json.dumps(payload).encode(), headers, source=answer.source, log=answer.log,
                  error=answer.error)


REFUSALS = {
    400: "the call's body could not be read",
    405: "Okta never sends this method",
    408: "the call's body came too slowly",
    413: "the call's body is over the size limit (server.max_body)",
}


def refusal(answer: Answer, verdict: AuthVerdict) -> Validation | None:
    """The `skipped` verdict of a call hookdev refused itself: its answer is a refusal, not one to judge."""
    if answer.source == "auth" and answer.status == 401:
        why = f"hookdev refused the call (401, auth {verdict.reason}): fix the credential Okta sends, not the answer"
    elif answer.source == "error" and answer.status in REFUSALS:
        why = f"hookdev refused the call ({answer.status}): {REFUSALS[answer.status]}"
    else:
        return None
    return Validation(ok=True, skipped=why)


def _validate(
    receiver: Receiver,
    kind: Kind,
    response: ResponseSnapshot,
    snapshot: RequestSnapshot,
    body: Any,
    duration_ms: float,
) -> Validation:
    if receiver.validator is None or kind == "unknown":
        return Validation()
    context = snapshot.header(CHALLENGE_HEADER) if kind == "event_verification" else body
    try:
        return receiver.validator(kind, response, context, duration_ms)
    except Exception:
        log.exception("validator failed")
        return Validation()


def bind_socket(host: str, port: int) -> socket.socket:
    """Bind the listening socket first, so the real port is known before the app is built (port 0 works)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.listen(512)
    sock.setblocking(False)
    return sock


class HookServer:
    """The receiver app on a socket, with start()/stop() for the inspector's loop or asyncio.run.

    A stranger on the tunnel must not hold connections open: headers are due the receiver's read_timeout after a
    connection opens or answers (aiohttp's keep-alive timer runs from the connection's start), bodies as long
    after their headers, and at most `guard.limit` connections are open at once.
    """

    def __init__(self, app: web.Application, sock: socket.socket, guard: ConnectionGuard | None = None) -> None:
        self.app = app
        self.sock = sock
        self.guard = guard or ConnectionGuard()
        self.app[CONNECTIONS] = self.guard
        self._runner: web.AppRunner | None = None
        self._listener: asyncio.AbstractServer | None = None

    @property
    def port(self) -> int:
        return int(self.sock.getsockname()[1])

    async def start(self) -> None:
        self._runner = web.AppRunner(self.app, access_log=None, handle_signals=False, shutdown_timeout=2.0,
                                     keepalive_timeout=self.app[RECEIVER].read_timeout)
        await self._runner.setup()
        server = self._runner.server
        assert server is not None  # setup() made it
        loop = asyncio.get_running_loop()
        self._listener = await loop.create_server(self.guard.wrap(server), sock=self.sock, backlog=512)

    async def stop(self) -> None:
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

