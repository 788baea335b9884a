"""The main view's actions: replay, edit the answer or the request, filter, breakpoint, export, copy, compare...

Each works on the selected call and asks the serve (over the control channel) to act; none touches the receiver.
Dialogs are pushed at once from the key's own handler, so keys typed right after it go into the dialog.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from textual import work

from hookdev.io.render import KIND_LABELS
from hookdev.io.terminal import safe_text
from hookdev.models import INLINE_KINDS, Exchange, Kind
from hookdev.tui.exporting import FORMATS, default_target, write_export
from hookdev.tui.filtering import HELP as FILTER_HELP
from hookdev.tui.format import failing_tab
from hookdev.tui.screens.editor import AnswerEditor, Draft, RequestEditor
from hookdev.tui.screens.prompts import ChoicePrompt, TextPrompt

EDITABLE: tuple[Kind, ...] = ("event", *INLINE_KINDS)


class MainActions:
    """Mixed into MainScreen; each action works on the selected exchange and talks only to the link."""

    link: Any
    owner: bool
    reveal: bool
    filter: Any
    table: Any
    detail: Any
    app: Any
    notify: Any
    apply_filter: Any
    refresh_status: Any
    show_urls: bool | None

    def _selected(self, what: str) -> Exchange | None:
        ex = self.table.selected
        if ex is None:
            self.notify(f"no call selected to {what}: wait for one to arrive, or run `hookdev send`")
        return ex

    async def _full(self, ex: Exchange) -> Exchange:
        """The selected call with its headers and bodies (the list holds summaries)."""
        store = self.link.store
        full = await asyncio.to_thread(store.get, ex.id) if store is not None else None
        return full or ex

    # -- replay ----------------------------------------------------------------------------------------
    def action_replay(self) -> None:
        ex = self._selected("replay")
        if ex is not None:
            self.replay(ex)

    def action_replay_to(self) -> None:
        ex = self._selected("replay")
        if ex is None:
            return
        base = self.link.state.get("local_url", "")

        def chosen(url: str | None) -> None:
            if url:
                self.replay(ex, to=url.strip())

        self.app.push_screen(TextPrompt(safe_text(f"Replay {ex.request.method} {ex.request.path} as Okta to:"),
                                        value=safe_text(base + ex.request.path),
                                        hint="any URL: your own service, a deployed hook, a colleague's hookdev"),
                             chosen)

    @work(group="replay")
    async def replay(self, ex: Exchange, *, to: str | None = None, body: bytes | None = None) -> None:
        args: dict[str, Any] = {"id": ex.id}
        if to:
            args["to"] = to
        if body is not None:
            args["body"] = body.decode("utf-8")
        try:
            result = await self.link.call("replay", **args)
        except Exception as exc:  # a failed replay is a notification, never a crash of the inspector
            self.notify(f"replay of {ex.id} failed: {exc}", severity="error")
            return
        status = result.get("status") if result.get("status") is not None else "no answer"
        note = f"\n{result['token_note']}" if result.get("token_note") else ""
        error = f"\n{result['error']}" if result.get("error") else ""
        where = f" to {to}" if to else ""
        self.notify(f"replayed {ex.id}{where} → {status}: {result.get('verdict', '')}{error}{note}",
                    severity="information" if result.get("accepted", True) else "warning")

    # -- editors ---------------------------------------------------------------------------------------
    @work(exclusive=True, group="prompt")
    async def action_edit_answer(self) -> None:
        ex = self.table.selected
        kind: Kind = ex.kind if ex is not None and ex.kind in EDITABLE else "token"
        path = ex.request.path if ex is not None else None
        try:
            template = await self.link.call("template_get", kind=kind, path=path)
        except Exception as exc:
            self.notify(str(exc), severity="warning")
            return
        request_body = _json_or_none(await self._full(ex)) if ex is not None and ex.kind == kind else None
        headers = tuple((str(k), str(v)) for k, v in template.get("headers") or ())
        editor = AnswerEditor(kind, int(template.get("status", 200)), template.get("body"), headers=headers,
                              request_body=request_body, path=path)
        self.app.push_screen(editor, lambda result: self._save_answer(kind, result))

    @work(group="save")
    async def _save_answer(self, kind: Kind, result: tuple[Draft, str | None] | None) -> None:
        if result is None:
            return
        draft, only_path = result
        try:
            saved = await self.link.call("template_save", kind=kind, status=draft.status,
                                         headers=[list(h) for h in draft.headers], body=draft.body,
                                         only_path=only_path)
        except Exception as exc:
            self.notify(f"could not save the answer: {exc}", severity="error")
            return
        scope = f"calls to {safe_text(only_path)}" if only_path else f"{KIND_LABELS.get(kind, kind)} calls"
        self.notify(f"saved {saved.get('file')}: the next {scope} get this answer")

    @work(exclusive=True, group="prompt")
    async def action_edit_request(self) -> None:
        ex = self._selected("edit")
        if ex is None:
            return
        if ex.request.method != "POST":
            self.notify("only POST calls have a body to edit; press r to replay this one")
            return
        full = await self._full(ex)
        editor = RequestEditor(ex.kind, full.request.body,
                               title=safe_text(f"Edit the body of {ex.request.path} ({ex.id}), then replay"))
        self.app.push_screen(editor, lambda body: self.replay(ex, body=body) if body is not None else None)

    # -- filter, breakpoint ----------------------------------------------------------------------------
    def action_filter(self) -> None:
        self.app.push_screen(
            TextPrompt("Filter calls", value=self.filter.text, placeholder="e.g. token expired   or   4xx /tokenHook",
                       hint=FILTER_HELP),
            lambda text: self.apply_filter(text) if text is not None else None)

    def action_follow(self) -> None:
        if self.filter.active:
            self.apply_filter("")
        self.table.follow_newest()

    def action_breakpoint(self) -> None:
        ex = self.table.selected
        state = self.link.state
        choices: list[tuple[str, Any]] = [(f"hold the next {KIND_LABELS[k]} call", ("kind", k)) for k in EDITABLE]
        if ex is not None:
            choices.insert(0, (safe_text(f"hold the next call to {ex.request.path}"), ("path", ex.request.path)))
            if ex.kind in EDITABLE:
                choices.append((f"hold the next {KIND_LABELS[ex.kind]} call from this machine (hookdev send "
                                "--timeout 600), with no deadline", ("patient", ex.kind)))
        if state.get("armed") or state.get("armed_paths"):
            choices.insert(0, ("clear every breakpoint", ("clear", None)))
        first = next((i for i, (_, v) in enumerate(choices) if ex is not None and v == ("kind", ex.kind)), 0)
        self.app.push_screen(ChoicePrompt(
            "Breakpoint: hold a live call and edit its answer", choices, selected=first,
            hint="serve sends the answer on its own 0.3 s before Okta's 3 s deadline"), self._arm)

    @work(group="arm")
    async def _arm(self, choice: tuple[str, Any] | None) -> None:
        if choice is None:
            return
        what, value = choice
        try:
            if what == "clear":
                await self.link.call("disarm")
                self.notify("breakpoints cleared")
            elif what == "patient":
                await self.link.call("arm", kind=value, patient=True)
                self.notify(f"holding the next {KIND_LABELS.get(value, value)} call from this machine until you "
                            "send it; one through the tunnel still goes out before Okta's deadline")
            else:
                await self.link.call("arm", **{what: value})
                label = safe_text(value) if what == "path" else KIND_LABELS.get(value, value)
                self.notify(f"holding the next {label} call")
        except Exception as exc:
            self.notify(str(exc), severity="warning")
        self.refresh_status()

    # -- failures --------------------------------------------------------------------------------------
    def action_next_failure(self) -> None:
        self._failure(1)

    def action_previous_failure(self) -> None:
        self._failure(-1)

    def _failure(self, step: int) -> None:
        rows = self.table.rows
        start = self.table.cursor_row
        start = (len(rows) if step < 0 else -1) if start is None else start
        index = start + step
        while 0 <= index < len(rows):
            if failing_tab(rows[index]) is not None:
                self.table.select_id(rows[index].id)
                return
            index += step
        self.notify(f"no {'later' if step > 0 else 'earlier'} failed call in the list")

    # -- export, copy, mark, reveal, original ----------------------------------------------------------
    def action_export(self) -> None:
        table = self.table
        chosen = [ex for ex in table.rows if ex.id in table.marked] or ([table.selected] if table.selected else [])
        if not chosen:
            self.notify("nothing to export: select a call (m marks several)")
            return

        def format_chosen(fmt: str | None) -> None:
            if fmt is not None:
                self.app.push_screen(TextPrompt("Write to", value=default_target(fmt, chosen)),
                                     lambda target: self._export(chosen, fmt, target) if target else None)

        self.app.push_screen(ChoicePrompt(
            f"Export {len(chosen)} call{'s' if len(chosen) > 1 else ''} as", list(FORMATS), hint="secrets stay masked"),
            format_chosen)

    @work(group="export")
    async def _export(self, chosen: list[Exchange], fmt: str, target: str) -> None:
        full = [await self._full(ex) for ex in chosen]
        state = self.link.state
        try:
            written = await asyncio.to_thread(write_export, full, fmt, Path(target),
                                              secret_header=state.get("secret_header"),
                                              base_url=state.get("local_url", ""))
        except OSError as exc:
            self.notify(f"could not write {target}: {exc.strerror}; pick another file", severity="error")
            return
        self.notify(f"exported {len(full)} call{'s' if len(full) > 1 else ''} to {written}")

    def action_copy_url(self) -> None:
        state = self.link.state
        urls = list(state.get("hook_urls") or ())
        ex = self.table.selected
        base = state.get("public_url") or state.get("local_url", "")
        if ex is not None:  # the selected call's URL first
            urls = [base + ex.request.path, *(u for u in urls if u != base + ex.request.path)]

        def copy(url: str | None) -> None:
            if url:
                self.app.copy_to_clipboard(url)
                self.notify(f"copied {url}")

        self.app.push_screen(ChoicePrompt("Copy a hook URL (paste it into Okta's hook endpoint URL)",
                                          [(safe_text(u), u) for u in urls]), copy)

    def action_mark(self) -> None:
        self.table.toggle_mark()

    def action_reveal(self) -> None:
        self.reveal = not self.reveal
        self.detail.redraw(reveal=self.reveal)
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

    def action_compare(self) -> None:
        """A replay against its original, or the two marked calls."""
        table = self.table
        marked = [ex for ex in table.rows if ex.id in table.marked]
        if len(marked) == 2:
            self.compare(marked[0].id, marked[1].id)
            return
        ex = self._selected("compare")
        if ex is None:
            return
        if ex.replay_of:
            self.compare(ex.replay_of, ex.id)
        else:
            self.notify("compare works on a replay (↻) and its original, or on two calls marked with m")

    @work(group="compare")
    async def compare(self, left_id: str, right_id: str) -> None:
        from hookdev.tui.screens.compare import CompareScreen

        store = self.link.store
        if store is None:
            return
        left, right = await asyncio.to_thread(lambda: (store.get(left_id), store.get(right_id)))
        if left is None or right is None:
            self.notify(f"{left_id if left is None else right_id} is no longer in the store", severity="warning")
            return
        self.app.push_screen(CompareScreen(left, right, secret_header=self.link.state.get("secret_header")))

    # -- layout ----------------------------------------------------------------------------------------
    def action_maximize_detail(self) -> None:
        screen: Any = self
        if screen.maximized is not None:
            screen.minimize()
        else:
            screen.maximize(self.detail, container=False)

    def action_toggle_urls(self) -> None:
        current = self.show_urls if self.show_urls is not None else self.app.size.height >= 30
        self.show_urls = not current
        self.refresh_status()

    def action_notices(self) -> None:
        from hookdev.tui.screens.notices import NoticesScreen

        self.app.push_screen(NoticesScreen(list(self.link.notices)))

    def action_leave(self) -> None:
        self.app.exit(0)


def _json_or_none(ex: Exchange) -> Any:
    try:
        return ex.request.json()
    except ValueError:
        return None
