"""The user's Python handlers: plain functions in one file answer hook calls; reloaded on save, output captured.

Point ``[responses] handler = "hooks.py"`` (or ``hookdev serve --handler hooks.py``) at a file like::

    from hookdev import hook

    def registration(request):                 # named after a kind: answers every call of that kind
        email = request.get("data.userProfile.email", "")
        if email.endswith("@example.com"):
            return {"commands": [{"type": "com.okta.action.update", "value": {"registration": "ALLOW"}}]}
        return {"error": {"errorSummary": "Use your example.com address"}}

    @hook("/tokenHook")                         # a path (exact match) wins over a kind's function
    async def add_claims(request):              # async functions work the same
        print("token for", request.get("data.context.user.profile.login"))   # shown with the exchange
        return None                             # None: 204, no body

    def default(request):                       # everything else; without it the templates answer
        return {}, 200

Kinds: event, registration, token, saml, telephony, password_import, user_import, unknown (also usable as
``@hook("token")``). Return a dict (200 with that JSON body), ``(body, status)``, ``(body, status, headers)``,
a bare status number, or None for 204. ``request`` has ``.kind``, ``.path``, ``.method``, ``.query``,
``.headers`` (case-insensitive), ``.body`` (parsed JSON), ``.data``, ``.context``, ``.event_type``,
``.request_type``, ``.events`` and ``.get("data.userProfile.email", default)``.

``print()`` output and ``logging.getLogger(__name__)`` records (and any warning logged while the handler
runs) go into that exchange's log. An exception, or an error in the file itself, answers 500 with a JSON
error and the traceback in the log; the server keeps going. Save the file and the next call uses it, no
restart. Sync functions run in 16 worker threads, so a slow one never holds up other calls; when all 16 are
stuck, a warning says so, and so does each call that had to wait. An async function runs on the event loop
that answers every call: one that blocks it (time.sleep, requests) for over 0.5 s is named in a warning and
in its exchange.

Slow handlers: hookdev does not cut a handler off at Okta's 3 s. It waits up to 10 s after the call arrived,
so the exchange shows the handler's real latency, and the timing grade says what Okta would have done
(given up at 3 s). Past 10 s it answers 504; a sync function keeps running in its thread, and what it prints
after that is dropped.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import sys
import time
import traceback
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeGuard

from hookdev.answers.capture import capture_logger, capturing
from hookdev.answers.request import ROUTES_ATTR, BadReturn, HookRequest, hook, normal_path, to_answer
from hookdev.answers.stalls import BLOCKING_S, WORKERS, HandlerPool, StepTimer, Ticket, blocked_note
from hookdev.answers.templates import TemplateBook
from hookdev.answers.watch import Poller
from hookdev.models import INLINE_KINDS, Answer, HookCall

__all__ = ["HandlerFile", "HandlerResponder", "HookRequest", "hook"]

Notify = Callable[[str, str], None]
OKTA_BUDGET_S = 3.0
HARD_CAP_S = 10.0
"""Seconds after a call arrived that hookdev stops waiting for a handler (Okta stops at 3); the default of
[responses] handler_timeout."""
ROUTABLE_KINDS = ("event", *INLINE_KINDS, "unknown")
_HERE = os.path.dirname(os.path.abspath(__file__))


@dataclass(frozen=True, slots=True)
class LoadedHandlers:
    """One version of the handler file: its functions by path and kind, or why it could not be loaded."""

    version: tuple[int, int, int]
    by_path: dict[str, Callable[..., Any]] = field(default_factory=dict)
    by_kind: dict[str, Callable[..., Any]] = field(default_factory=dict)
    fallback: Callable[..., Any] | None = None
    error: str | None = None
    detail: str = ""

    def pick(self, kind: str, path: str) -> Callable[..., Any] | None:
        return self.by_path.get(normal_path(path)) or self.by_kind.get(kind) or self.fallback


def user_traceback(exc: BaseException) -> str:
    """The traceback without hookdev's and asyncio's own frames: what the user needs to fix their file."""
    frames = [
        f
        for f in traceback.extract_tb(exc.__traceback__)
        if not f.filename.startswith(_HERE) and "/asyncio/" not in f.filename and "/concurrent/" not in f.filename
    ]
    lines = ["Traceback (most recent call last):\n", *traceback.format_list(frames)] if frames else []
    return "".join(lines + traceback.format_exception_only(type(exc), exc))


def load_handlers(file: Path, version: tuple[int, int, int]) -> LoadedHandlers:
    """Read, compile and run the file in a fresh module; collect its handler functions."""
    try:
        source = file.read_bytes()
    except FileNotFoundError:
        return LoadedHandlers(version, error=_missing(file))
    except OSError as exc:
        return LoadedHandlers(version, error=f"handler file {file} cannot be read: {exc.strerror}")
    try:
        # dont_inherit: hookdev's own __future__ imports must not change how the user's file compiles
        code = compile(source, str(file), "exec", dont_inherit=True)
    except SyntaxError as exc:
        detail = "".join(traceback.format_exception_only(type(exc), exc))
        return LoadedHandlers(version, error=f"{file.name} line {exc.lineno}: {exc.msg}", detail=detail)
    module = _fresh_module(file)
    try:
        exec(code, module.__dict__)
    except (Exception, SystemExit) as exc:  # SystemExit too: a stray exit() in the file must not stop serve
        return LoadedHandlers(
            version,
            error=f"{file.name} failed to load: {type(exc).__name__}: {exc}",
            detail=user_traceback(exc),
        )
    return _collect(version, module.__dict__)


def _missing(file: Path) -> str:
    return (
        f"handler file {file} does not exist: create it (`hookdev init token` writes a working example) "
        "or remove [responses] handler / --handler"
    )


def _fresh_module(file: Path) -> types.ModuleType:
    name = file.stem
    existing = sys.modules.get(name)
    if existing is not None and not getattr(existing, "__hookdev_handler__", False):
        name = f"hookdev_handler_{name}"  # never shadow a real module of the same name
    module = types.ModuleType(name)
    module.__file__ = str(file)
    # A module takes any attribute, but the stubs of ModuleType declare only the standard ones.
    module.__hookdev_handler__ = True  # type: ignore[attr-defined]
    sys.modules[name] = module  # dataclasses and pickle look a class's module up here
    folder = str(file.parent)
    if folder not in sys.path:
        sys.path.insert(0, folder)  # so the file can import its neighbours, as when run as a script
    capture_logger(name)
    return module


def _collect(version: tuple[int, int, int], namespace: dict[str, Any]) -> LoadedHandlers:
    by_path: dict[str, Callable[..., Any]] = {}
    by_kind: dict[str, Callable[..., Any]] = {}
    for name in ROUTABLE_KINDS:
        func = namespace.get(name)
        if _is_function(func):
            by_kind[name] = func
    for func in list(namespace.values()):
        if not _is_function(func):
            continue
        for route in getattr(func, ROUTES_ATTR, ()):
            (by_path if route.startswith("/") else by_kind)[route] = func
    fallback = namespace.get("default")
    return LoadedHandlers(version, by_path, by_kind, fallback if _is_function(fallback) else None)


def _is_function(obj: object) -> TypeGuard[Callable[..., Any]]:
    return inspect.isroutine(obj)


class HandlerFile:
    """The user's handler file, reloaded when its mtime, size or inode changes (looked at every check_interval)."""

    def __init__(self, file: Path, notify: Notify | None = None, check_interval: float = 0.5) -> None:
        self.file = Path(file)
        self.notify = notify
        self.check_interval = check_interval
        self._loaded: LoadedHandlers | None = None
        self._lock = asyncio.Lock()
        self._poller = Poller(self._recheck, check_interval)

    async def current(self) -> LoadedHandlers:
        """The loaded functions: from memory, kept fresh by a background poller (check_interval 0: a stat per call)."""
        loaded = self._loaded
        if loaded is not None and self.check_interval:
            return loaded
        fresh = await self._recheck()
        self._poller.start()
        return fresh

    async def _recheck(self) -> LoadedHandlers:
        async with self._lock:
            fresh = await asyncio.to_thread(self._refresh, self._loaded)
            if fresh is not self._loaded:
                self._announce(self._loaded, fresh)
                self._loaded = fresh
            return fresh

    async def close(self) -> None:
        await self._poller.stop()

    def _refresh(self, loaded: LoadedHandlers | None) -> LoadedHandlers:
        try:
            st = self.file.stat()
            version = (st.st_mtime_ns, st.st_size, st.st_ino)
        except FileNotFoundError:
            version = (0, 0, 0)
        if loaded is not None and loaded.version == version:
            return loaded
        if version == (0, 0, 0):
            return LoadedHandlers(version, error=_missing(self.file))
        return load_handlers(self.file, version)

    def _announce(self, old: LoadedHandlers | None, new: LoadedHandlers) -> None:
        if self.notify is None:
            return
        if new.error is not None:
            self.notify("error", f"{new.error} — calls get a 500 until the file is fixed")
        elif old is not None:
            names = sorted({*new.by_path, *new.by_kind} | ({"default"} if new.fallback else set()))
            answers = ", ".join(names) or "nothing (the templates answer)"
            self.notify("info", f"reloaded {self.file.name}: answers {answers}")


class HandlerResponder:
    """Answers with the user's functions; kinds and paths without one fall back to the templates."""

    def __init__(
        self,
        file: Path,
        templates: TemplateBook,
        notify: Notify | None = None,
        check_interval: float = 0.5,
        hard_cap: float = HARD_CAP_S,
    ) -> None:
        self.handlers = HandlerFile(file, notify, check_interval)
        self.templates = templates
        self.hard_cap = hard_cap
        self.pool = HandlerPool()
        self._said_full = False

    async def respond(self, call: HookCall) -> Answer:
        loaded = await self.handlers.current()
        if loaded.error is not None:
            return Answer.json(
                500, {"error": loaded.error}, source="handler", log=loaded.detail, error=loaded.error
            )
        func = loaded.pick(call.kind, call.request.path)
        if func is None:
            return await self.templates.answer(call)
        return await self._run(func, call)

    async def _run(self, func: Callable[..., Any], call: HookCall) -> Answer:
        name = f"{self.handlers.file.name}: {getattr(func, '__name__', 'handler')}()"
        arrived = call.deadline - OKTA_BUDGET_S if call.deadline > 0 else time.monotonic()
        timeout = max(arrived + self.hard_cap - time.monotonic(), 0.001)
        notes: list[str] = []
        ticket = Ticket(submitted=time.monotonic())
        with capturing() as output:
            request = HookRequest.from_call(call)
            if inspect.iscoroutinefunction(func):
                done = await _in_time(asyncio.ensure_future(self._awaited(func(request), name, notes)), timeout)
            else:
                done = await self._in_thread(func, request, ticket, timeout, name, notes)
            if (waited := ticket.note(self.handlers.file.name)) is not None:
                notes.append(waited)

            def log(extra: str = "") -> str:
                return "".join(output) + extra + "".join(f"hookdev: {note}\n" for note in notes)

            if done is None:
                if ticket.queued and ticket.started is None:
                    message = f"{name}: {waited}; Okta gives up after 3 s"
                else:
                    message = (
                        f"{name} was still running {self.hard_cap:g} s after the call arrived "
                        "(responses.handler_timeout); Okta gives up after 3 s: answer first and do slow work afterwards"
                    )
                return Answer.json(504, {"error": message}, source="handler", log=log(), error=message)
            try:
                answer = to_answer(_result(*done))
            except BadReturn as exc:
                message = f"{name} {exc}"
                return Answer.json(500, {"error": message}, source="handler", log=log(), error=message)
            except Exception as exc:
                message = f"{name} raised {type(exc).__name__}: {exc}"
                return Answer.json(500, {"error": message}, source="handler", log=log(user_traceback(exc)),
                                   error=message)
        return Answer(answer.status, answer.body, answer.headers, source="handler", log=log())

    async def _in_thread(self, func: Callable[..., Any], request: HookRequest, ticket: Ticket, timeout: float,
                         name: str, notes: list[str]) -> Settled | None:
        """func(request) run by the pool: its result or exception; None when it ran past `timeout` (it is
        abandoned then).

        The cap is a call_later that cancels the pool's future (asyncio.wait around it, or asyncio.timeout,
        cost several times more per call)."""
        loop = asyncio.get_running_loop()
        started = loop.time()
        future = self.pool.submit(func, request, ticket)
        # Said of a call that does wait: the pool counted it in before any thread could free up.
        if not ticket.queued:
            self._said_full = False
        elif not self._said_full:
            self._said_full = True
            self._say("warning", f"all {WORKERS} worker threads for {self.handlers.file.name} are busy with "
                                 "calls still running (past Okta's 3 s): new calls wait for a free one. A "
                                 "handler that blocks (a network call without a timeout?) needs fixing")
        expired: list[bool] = []
        cap = loop.call_later(timeout, _abandon, future, expired)
        try:
            result = await future
        except asyncio.CancelledError:
            if expired:
                return None
            raise  # this call itself was cancelled (the cancel reached the pool's future too)
        except BaseException as exc:  # the handler's own, with its traceback
            return None, exc
        finally:
            cap.cancel()
        if inspect.isawaitable(result):  # e.g. a lambda handing back a coroutine
            task = asyncio.ensure_future(self._awaited(result, name, notes))
            return await _in_time(task, timeout - (loop.time() - started))
        return result, None

    async def _awaited(self, awaitable: Any, name: str, notes: list[str]) -> Any:
        """What a coroutine handler (or an awaitable a handler handed back) comes to, its steps on the event loop
        timed so that one blocking it is named."""
        timer = StepTimer(awaitable) if inspect.iscoroutine(awaitable) else None
        try:
            result = await (timer if timer is not None else awaitable)
            if inspect.isawaitable(result):
                result = await result
            return result
        except SystemExit as exc:  # raised out of a task, asyncio would re-raise it out of the loop
            raise _exited(exc) from None
        finally:
            if timer is not None and timer.longest >= BLOCKING_S:
                notes.append(blocked_note(name, timer.longest))
                self._say("warning", blocked_note(name, timer.longest))

    def _say(self, level: str, message: str) -> None:
        if self.handlers.notify is not None:
            self.handlers.notify(level, message)

    async def close(self) -> None:
        await self.handlers.close()
        await self.templates.close()
        self.pool.shutdown()


Settled = tuple[Any, BaseException | None]
"""What a handler came to: its result and None, or None and its exception."""


async def _in_time(task: asyncio.Task[Any], timeout: float) -> Settled | None:
    """What the task came to within `timeout` seconds; None (and the task cancelled, abandoned) when it did not."""
    try:
        done, _ = await asyncio.wait({task}, timeout=max(timeout, 0.001))
    except asyncio.CancelledError:
        task.cancel()
        raise
    if not done:
        task.cancel()
        return None
    try:
        return task.result(), None
    except Exception as exc:
        return None, exc


def _abandon(future: asyncio.Future[Any], expired: list[bool]) -> None:
    expired.append(True)
    future.cancel()


def _result(result: Any, error: BaseException | None) -> Any:
    """A settled handler's result, or its exception raised again (exit() in a handler must not stop serve)."""
    if error is None:
        return result
    if isinstance(error, SystemExit):
        raise _exited(error) from None
    raise error


def _exited(exc: SystemExit) -> RuntimeError:
    return RuntimeError(f"the handler called exit({exc.code!r}); return an answer instead")

