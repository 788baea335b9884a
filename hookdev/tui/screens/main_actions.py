"""The main view's actions: replay, edit the answer or the request, filter, breakpoint, export, copy, reveal."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path
from typing import Any

from textual import work

from hookdev.io.render import KIND_LABELS
from hookdev.models import INLINE_KINDS, Exchange, Kind
from hookdev.tui.exporting import FORMATS, default_target, write_export
from hookdev.tui.filtering import HELP as FILTER_HELP
from hookdev.tui.screens.editor import AnswerEditor, RequestEditor
from hookdev.tui.screens.prompts import ChoicePrompt, TextPrompt

EDITABLE: tuple[Kind, ...] = ("event", *INLINE_KINDS)


class MainActions:
    """Mixed into MainScreen; each action works on the selected exchange and talks only to the session."""

    session: Any
    breakpoints: Any
    reveal: bool
    filter: Any
    table: Any
    detail: Any
    app: Any
    notify: Any
    apply_filter: Any
    refresh_status: Any

    def _selected(self, what: str) -> Exchange | None:
        ex = self.table.selected
        if ex is None:
            self.notify(f"no call selected to {what}: wait for one to arrive, or run `hookdev send`")
        return ex

    # -- replay ----------------------------------------------------------------------------------------
    def action_replay(self) -> None:
        ex = self._selected("replay")
        if ex is not None:
            self.replay(ex)

    @work(exclusive=True, group="prompt")
    async def action_replay_to(self) -> None:
        ex = self._selected("replay")
        if ex is None:
            return
        url = await self.app.push_screen_wait(
            TextPrompt(f"Replay {ex.request.method} {ex.request.path} as Okta to:",
                       value=self.session.local_url + ex.request.path,
                       hint="any URL: your own service, a deployed hook, a colleague's hookdev"))
        if url:
            self.replay(ex, to=url.strip())

    @work(group="replay")
    async def replay(self, ex: Exchange, *, to: str | None = None, body: bytes | None = None) -> None:
        try:
            result = await self.session.replay(ex.id, to=to, edited_body=body)
        except Exception as exc:  # a failed replay is a notification, never a crash of the inspector
            self.notify(f"replay of {ex.id} failed: {exc}", severity="error")
            return
        status = result.status if result.status is not None else "no answer"
        note = f"\n{result.token_note}" if getattr(result, "token_note", None) else ""
        error = f"\n{result.error}" if getattr(result, "error", None) else ""
        severity = "information" if getattr(result, "accepted", True) else "warning"
        where = f" to {to}" if to else ""
        self.notify(f"replayed {ex.id}{where} → {status}: {result.verdict}{error}{note}", severity=severity)

    # -- editors ---------------------------------------------------------------------------------------
    @work(exclusive=True, group="prompt")
    async def action_edit_answer(self) -> None:
        ex = self.table.selected
        kind: Kind = ex.kind if ex is not None and ex.kind in EDITABLE else "token"
        book = self.session.templates
        if book is None:
            self.notify("answers come from your handler or forwarded service here; edit those instead",
                        severity="warning")
            return
        path = ex.request.path if ex is not None else None
        try:
            template = await asyncio.to_thread(book.get, kind, path)
        except Exception as exc:
            self.notify(f"{exc}", severity="error")
            return
        request_body = _json_or_none(ex) if ex is not None and ex.kind == kind else None
        result = await self.app.push_screen_wait(AnswerEditor(
            kind, template.status, template.body, headers=template.headers, request_body=request_body, path=path))
        if result is None:
            return
        draft, only_path = result
        new = dataclasses.replace(template, status=draft.status, headers=draft.headers, body=draft.body)
        try:
            file = await asyncio.to_thread(book.save, kind, new, only_path)
        except Exception as exc:
            self.notify(f"could not save the answer: {exc}", severity="error")
            return
        scope = f"calls to {only_path}" if only_path else f"{KIND_LABELS.get(kind, kind)} calls"
        self.notify(f"saved {file}: the next {scope} get this answer")

    @work(exclusive=True, group="prompt")
    async def action_edit_request(self) -> None:
        ex = self._selected("edit")
        if ex is None:
            return
        if ex.request.method != "POST":
            self.notify("only POST calls have a body to edit; press r to replay this one")
            return
        body = await self.app.push_screen_wait(RequestEditor(
            ex.kind, ex.request.body, title=f"Edit the body of {ex.request.path} ({ex.id}), then replay"))
        if body is not None:
            self.replay(ex, body=body)

    # -- filter, breakpoint ----------------------------------------------------------------------------
    @work(exclusive=True, group="prompt")
    async def action_filter(self) -> None:
        text = await self.app.push_screen_wait(
            TextPrompt("Filter calls", value=self.filter.text, placeholder="e.g. token expired   or   4xx /tokenHook",
                       hint=FILTER_HELP))
        if text is not None:
            self.apply_filter(text)

    def action_follow(self) -> None:
        if self.filter.active:
            self.apply_filter("")
        self.table.follow_newest()

    @work(exclusive=True, group="prompt")
    async def action_breakpoint(self) -> None:
        if self.breakpoints is None:
            self.notify("breakpoints need a running receiver", severity="warning")
            return
        ex = self.table.selected
        choices: list[tuple[str, Any]] = [(f"hold the next {KIND_LABELS[k]} call", k) for k in EDITABLE]
        if self.breakpoints.armed:
            choices.insert(0, ("clear every breakpoint", "clear"))
        kinds = [value for _, value in choices]
        first = kinds.index(ex.kind) if ex is not None and ex.kind in kinds else 0
        kind = await self.app.push_screen_wait(ChoicePrompt(
            "Breakpoint: hold a live call and edit its answer", choices, selected=first,
            hint="the answer goes out on its own 0.3 s before Okta's 3 s deadline"))
        if kind == "clear":
            self.breakpoints.disarm()
            self.notify("breakpoints cleared")
        elif kind is not None:
            self.breakpoints.arm(kind)
            self.notify(f"holding the next {KIND_LABELS[kind]} call")
        self.refresh_status()

    # -- export, copy, mark, reveal, original ----------------------------------------------------------
    @work(exclusive=True, group="prompt")
    async def action_export(self) -> None:
        table = self.table
        chosen = [table.exchanges[i] for i in table.exchanges if i in table.marked] or (
            [table.selected] if table.selected else [])
        if not chosen:
            self.notify("nothing to export: select a call (m marks several)")
            return
        fmt = await self.app.push_screen_wait(ChoicePrompt(
            f"Export {len(chosen)} call{'s' if len(chosen) > 1 else ''} as", list(FORMATS), hint="secrets stay masked"))
        if fmt is None:
            return
        target = await self.app.push_screen_wait(TextPrompt("Write to", value=default_target(fmt, chosen)))
        if not target:
            return
        s = self.session.settings
        secret = s.auth.header if s.auth.mode == "header" or s.auth.secret else None
        try:
            written = await asyncio.to_thread(write_export, chosen, fmt, Path(target),
                                              secret_header=secret, base_url=self.session.local_url)
        except OSError as exc:
            self.notify(f"could not write {target}: {exc.strerror}; pick another file", severity="error")
            return
        self.notify(f"exported {len(chosen)} call(s) to {written}")

    @work(exclusive=True, group="prompt")
    async def action_copy_url(self) -> None:
        urls = list(self.session.hook_urls())
        ex = self.table.selected
        base = self.session.public_url or self.session.local_url
        if ex is not None and base + ex.request.path not in urls:
            urls.insert(0, base + ex.request.path)
        url = await self.app.push_screen_wait(ChoicePrompt(
            "Copy a hook URL (paste it into Okta's hook endpoint URL)", [(u, u) for u in urls]))
        if url:
            self.app.copy_to_clipboard(url)
            self.notify(f"copied {url}")

    def action_mark(self) -> None:
        self.table.toggle_mark()

    def action_reveal(self) -> None:
        self.reveal = not self.reveal
        self.detail.show(self.table.selected, reveal=self.reveal)
        self.refresh_status()
        self.notify("secrets shown: press s to mask them again" if self.reveal else "secrets masked")

    def action_original(self) -> None:
        ex = self._selected("follow")
        if ex is None:
            return
        if not ex.replay_of:
            self.notify("this call is not a replay")
        elif not self.table.select_id(ex.replay_of):
            self.notify(f"the original {ex.replay_of} is older than the rows shown: `hookdev show {ex.replay_of}`")


def _json_or_none(ex: Exchange) -> Any:
    try:
        return ex.request.json()
    except ValueError:
        return None
