"""Snapshots of the inspector built from fixed exchanges: fixed clock, ids, zone and terminal size."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import TextArea

from hookdev.answers.breakpoints import HeldCall
from hookdev.models import Answer, HookCall, RequestSnapshot
from hookdev.tui.app import HookdevApp
from hookdev.tui.messages import CallHeld
from tests.tui.conftest import fake_session, mixed, sample

SIZE = (120, 40)


async def settle(pilot) -> None:
    """Let loads finish; workers waiting on a prompt (group "prompt") are left waiting."""
    for _ in range(2):
        await pilot.pause()
        busy = [w for w in pilot.app.workers if w.group != "prompt" and not w.is_finished]
        if busy:
            await pilot.app.workers.wait_for_complete(busy)
    for area in pilot.app.screen.query(TextArea):
        area.cursor_blink = False
    await pilot.pause()


def app_with(tmp_path: Path, exchanges=None, **kwargs) -> HookdevApp:
    return HookdevApp(fake_session(tmp_path, mixed() if exchanges is None else exchanges), **kwargs)


def test_empty_state(tmp_path: Path, snap_compare) -> None:
    assert snap_compare(app_with(tmp_path, []), run_before=settle, terminal_size=SIZE)


def test_mixed_list_newest_selected(tmp_path: Path, snap_compare) -> None:
    assert snap_compare(app_with(tmp_path), run_before=settle, terminal_size=SIZE)


def _on_tab(number: str, row: int | None = None):
    async def run_before(pilot) -> None:
        await settle(pilot)
        if row is not None:
            pilot.app.main.table.select_id(f"0000000000{row:03d}")
        await pilot.press(number)
        await settle(pilot)

    return run_before


def test_request_tab_masks_secrets(tmp_path: Path, snap_compare) -> None:
    assert snap_compare(app_with(tmp_path), run_before=_on_tab("1", 7), terminal_size=SIZE)


def test_auth_tab_expired_token(tmp_path: Path, snap_compare) -> None:
    assert snap_compare(app_with(tmp_path), run_before=_on_tab("2", 5), terminal_size=SIZE)


def test_response_tab(tmp_path: Path, snap_compare) -> None:
    assert snap_compare(app_with(tmp_path), run_before=_on_tab("3", 6), terminal_size=SIZE)


def test_validation_tab_with_problem(tmp_path: Path, snap_compare) -> None:
    assert snap_compare(app_with(tmp_path), run_before=_on_tab("4", 6), terminal_size=SIZE)


def test_log_tab(tmp_path: Path, snap_compare) -> None:
    assert snap_compare(app_with(tmp_path), run_before=_on_tab("5", 6), terminal_size=SIZE)


def test_editor_with_validation_problem(tmp_path: Path, snap_compare) -> None:
    async def run_before(pilot) -> None:
        await settle(pilot)
        pilot.app.main.table.select_id("0000000000004")
        await pilot.press("e")
        await settle(pilot)
        pilot.app.screen.query_one(TextArea).text = (
            '{\n  "commands": [\n    {"type": "com.okta.identity.patch",\n'
            '     "value": [{"op": "replace", "path": "/claims/sub", "value": "x"}]}\n  ]\n}')
        pilot.app.screen.query_one("#editor-status").value = "200"
        await settle(pilot)

    assert snap_compare(app_with(tmp_path), run_before=run_before, terminal_size=SIZE)


def test_breakpoint_countdown(tmp_path: Path, snap_compare) -> None:
    now = [1000.0]
    app = app_with(tmp_path, monotonic=lambda: now[0])

    async def run_before(pilot) -> None:
        await settle(pilot)
        call = HookCall("token", RequestSnapshot("POST", "/tokenHook", body=sample("token")), deadline=1003.0)
        held = HeldCall(call=call, answer=Answer(status=204, body=b"", headers=()), deadline=1002.7)
        pilot.app.main.post_message(CallHeld(held))
        await settle(pilot)
        now[0] = 1001.3  # 1.4 s left of 2.7
        pilot.app.screen.tick()  # the countdown's own timer would, whenever a loaded machine gets to it
        await settle(pilot)

    assert snap_compare(app, run_before=run_before, terminal_size=SIZE)


def test_help_screen(tmp_path: Path, snap_compare) -> None:
    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)

    assert snap_compare(app_with(tmp_path), run_before=run_before, terminal_size=SIZE)


def test_high_contrast_theme(tmp_path: Path, snap_compare) -> None:
    assert snap_compare(app_with(tmp_path, theme="contrast"), run_before=settle, terminal_size=SIZE)
