"""What a running serve offers its views: the state they show, and the commands they send over the control channel."""

from __future__ import annotations

import asyncio
import os
from typing import TYPE_CHECKING, Any

from hookdev.control.protocol import answer_from_json, answer_json, body_from_json
from hookdev.models import KINDS, Kind
from hookdev.receiver.control import Command, CommandError

if TYPE_CHECKING:
    from hookdev.answers.breakpoints import HeldCall
    from hookdev.receiver.session import Session

HELD_BODY_SHOWN = 64 * 1024
"""How much of a held call's request body goes to the views (a stranger's 1 MiB body need not travel)."""


def auth_label(session: Session) -> str:
    """How calls are checked, in a few words, for the inspector's header."""
    if session.auth_label:
        return session.auth_label
    a = session.settings.auth
    if a.mode == "none":
        return "none (every call accepted)"
    where = {"basic": f"basic ({a.username})", "header": f"header {a.header}",
             "oauth": f"oauth ({a.issuer or 'local authserver'})"}.get(a.mode, a.mode)
    return where + ("" if a.enforce else ", not enforced")


def view_state(session: Session) -> dict[str, Any]:
    """Everything a view shows about the serve itself (the calls it reads from the store)."""
    s = session.settings
    breakpoints = session.breakpoints
    return {
        "pid": os.getpid(),
        "store": str(session.store_path),
        "local_url": session.local_url,
        "public_url": session.public_url,
        "tunnel_error": session.tunnel_error,
        "hook_urls": session.stable_hook_urls(),
        "auth_mode": s.auth.mode,
        "auth_label": auth_label(session),
        "secret_header": s.auth.header if s.auth.mode == "header" or s.auth.secret else None,
        "answers": session.answers_note,
        "templates": session.templates is not None,
        "counters": session.counters.to_json(),
        "armed": sorted(breakpoints.armed) if breakpoints is not None else [],
        "armed_paths": sorted(breakpoints.armed_paths) if breakpoints is not None else [],
        "demo": session.demo,
        "okta": session.okta is not None,
    }


def hold_json(held: HeldCall, now: float) -> dict[str, Any]:
    """A held call for the views: what arrived, the answer that goes out at the deadline, and the time left."""
    call = held.call
    body = call.request.body
    return {
        "id": held.id,
        "kind": call.kind,
        "method": call.request.method,
        "path": call.request.path,
        "request_body": body[:HELD_BODY_SHOWN].decode("utf-8", errors="replace"),
        "request_truncated": len(body) > HELD_BODY_SHOWN,
        "answer": answer_json(held.answer),
        "remaining_s": None if held.patient else held.remaining(now),
    }


def _kind(message: dict[str, Any]) -> Kind:
    kind = message.get("kind")
    if kind not in KINDS:
        raise CommandError(f"unknown kind {kind!r}")
    return kind


def _path(message: dict[str, Any]) -> str | None:
    path = message.get("path")
    if path is not None and (not isinstance(path, str) or not path.startswith("/")):
        raise CommandError("a path starts with /")
    return path


def commands(session: Session) -> dict[str, Command]:
    """The commands a view may send, each carried out on this session."""

    async def replay(m: dict[str, Any]) -> dict[str, Any]:
        ident, to = m.get("id"), m.get("to")
        if not isinstance(ident, str) or (to is not None and not isinstance(to, str)):
            raise CommandError("replay needs the id of a recorded call (and optionally a URL `to`)")
        result = await session.replay(ident, to=to, edited_body=body_from_json(m))
        return {"status": result.status, "verdict": result.verdict, "accepted": result.accepted,
                "token_note": result.token_note, "error": result.error, "exchange_id": result.exchange_id,
                "url": result.url}

    def book() -> Any:
        templates = session.templates
        if templates is None:
            raise CommandError(f"answers come from {session.answers_note or 'your handler or service'} here; "
                               "edit that instead")
        return templates

    async def template_get(m: dict[str, Any]) -> dict[str, Any]:
        kind, path, templates = _kind(m), _path(m), book()
        template = await asyncio.to_thread(templates.get, kind, path)
        return {"status": template.status, "headers": [list(h) for h in template.headers], "body": template.body,
                "file": str(templates.file_for(kind, path))}

    async def template_save(m: dict[str, Any]) -> dict[str, Any]:
        from hookdev.answers.templates import Template

        kind, templates = _kind(m), book()
        only = _path({"path": m.get("only_path")})
        try:
            template = Template.from_json({"status": m.get("status", 200), "headers": dict(m.get("headers") or []),
                                           "body": m.get("body")})
        except (ValueError, TypeError) as exc:
            raise CommandError(str(exc)) from None
        file = await asyncio.to_thread(templates.save, kind, template, only)
        return {"file": str(file)}

    def breakpoints() -> Any:
        if session.breakpoints is None:
            raise CommandError("breakpoints need a running receiver")
        return session.breakpoints

    async def arm(m: dict[str, Any]) -> dict[str, Any]:
        points = breakpoints()
        if m.get("path") is not None:
            points.arm_path(_path(m))
        else:
            points.arm(_kind(m), patient=m.get("patient") is True)
        session.state_changed()
        return {"armed": sorted(points.armed), "armed_paths": sorted(points.armed_paths)}

    async def disarm(m: dict[str, Any]) -> dict[str, Any]:
        points = breakpoints()
        points.disarm(_kind(m) if m.get("kind") is not None else None)
        session.state_changed()
        return {"armed": sorted(points.armed), "armed_paths": sorted(points.armed_paths)}

    def held_call(m: dict[str, Any]) -> Any:
        hold = m.get("hold")
        held = breakpoints().find(hold) if isinstance(hold, int) else None
        if held is None:
            raise CommandError("that call is no longer held: it was answered already")
        return held

    async def hold_update(m: dict[str, Any]) -> dict[str, Any]:
        held_call(m).update(answer_from_json(m.get("answer")))
        return {}

    async def holds(m: dict[str, Any]) -> dict[str, Any]:
        points = breakpoints()
        return {"holds": [hold_json(held, points.clock()) for held in points.held]}

    async def hold_send(m: dict[str, Any]) -> dict[str, Any]:
        held = held_call(m)
        answer = answer_from_json(m["answer"]) if m.get("answer") is not None else None
        return {"sent": held.send(answer)}

    return {"replay": replay, "template_get": template_get, "template_save": template_save, "arm": arm,
            "disarm": disarm, "holds": holds, "hold_update": hold_update, "hold_send": hold_send}

