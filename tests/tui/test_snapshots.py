"""Snapshots of the inspector built from fixed exchanges: fixed clock, ids, zone and terminal size."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import TextArea

from hookdev.tui.app import HookdevApp
from hookdev.tui.messages import CallHeld
from hookdev.tui.screens.editor import AnswerEditor
from tests.conftest import until
from tests.tui.conftest import ServeThread, app_for, mixed, sample, settle, start_serve

SIZE = (120, 40)
NARROW = (80, 24)


@pytest.fixture
def serves(tmp_path: Path):
    started: list[ServeThread] = []

    def start(exchanges=None) -> ServeThread:
        serve = start_serve(tmp_path / str(len(started)), mixed() if exchanges is None else exchanges)
        started.append(serve)
        return serve

    yield start
    for serve in started:
        serve.stop()


def app_with(serves, exchanges=None, **kwargs) -> HookdevApp:
    return app_for(serves(exchanges), **kwargs)


def test_empty_state(serves, snap_compare) -> None:
    assert snap_compare(app_with(serves, []), run_before=settle, terminal_size=SIZE)


def test_mixed_list_newest_selected(serves, snap_compare) -> None:
    assert snap_compare(app_with(serves), run_before=settle, terminal_size=SIZE)


def _on_tab(number: str, row: int | None = None):
    async def run_before(pilot) -> None:
        await settle(pilot)
        if row is not None:
            pilot.app.main.table.select_id(f"0000000000{row:03d}")
        await pilot.press(number)
        await settle(pilot)

    return run_before


def test_request_tab_masks_secrets(serves, snap_compare) -> None:
    assert snap_compare(app_with(serves), run_before=_on_tab("1", 7), terminal_size=SIZE)


def test_auth_tab_expired_token(serves, snap_compare) -> None:
    assert snap_compare(app_with(serves), run_before=_on_tab("2", 5), terminal_size=SIZE)


def test_response_tab(serves, snap_compare) -> None:
    assert snap_compare(app_with(serves), run_before=_on_tab("3", 6), terminal_size=SIZE)


def test_validation_tab_with_problem(serves, snap_compare) -> None:
    assert snap_compare(app_with(serves), run_before=_on_tab("4", 6), terminal_size=SIZE)


def test_log_tab(serves, snap_compare) -> None:
    assert snap_compare(app_with(serves), run_before=_on_tab("5", 6), terminal_size=SIZE)


def test_editor_with_validation_problem(serves, snap_compare) -> None:
    async def run_before(pilot) -> None:
        await settle(pilot)
        pilot.app.main.table.select_id("0000000000004")
        await settle(pilot)  # its tabs drawn behind the editor
        await pilot.press("e")
        await until(lambda: isinstance(pilot.app.screen, AnswerEditor), "the editor, once serve sent the template")
        await settle(pilot)
        pilot.app.screen.query_one(TextArea).text = (
            '{\n  "commands": [\n    {"type": "com.okta.identity.patch",\n'
            '     "value": [{"op": "replace", "path": "/claims/sub", "value": "x"}]}\n  ]\n}')
        pilot.app.screen.query_one("#editor-status").value = "200"
        await settle(pilot)

    assert snap_compare(app_with(serves), run_before=run_before, terminal_size=SIZE)


def test_breakpoint_countdown_beside_the_held_request(serves, snap_compare) -> None:
    now = [1000.0]
    app = app_with(serves, monotonic=lambda: now[0])
    hold = {"id": 1, "kind": "token", "method": "POST", "path": "/tokenHook", "request_body": sample("token").decode(),
            "answer": {"status": 204, "headers": [], "body": ""}, "remaining_s": 2.7}

    async def run_before(pilot) -> None:
        await settle(pilot)
        pilot.app.main.post_message(CallHeld(hold))
        await settle(pilot)
        now[0] = 1001.3  # 1.4 s left of 2.7
        pilot.app.screen.tick()  # the countdown's own timer would, whenever a loaded machine gets to it
        await settle(pilot)

    assert snap_compare(app, run_before=run_before, terminal_size=SIZE)


def test_help_screen(serves, snap_compare) -> None:
    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)

    assert snap_compare(app_with(serves), run_before=run_before, terminal_size=SIZE)


def test_high_contrast_theme(serves, snap_compare) -> None:
    assert snap_compare(app_with(serves, theme="contrast"), run_before=settle, terminal_size=SIZE)


# -- 80 columns, 24 lines: a presenter's projector ------------------------------------------------------


def test_narrow_list_keeps_the_verdicts(serves, snap_compare) -> None:
    assert snap_compare(app_with(serves), run_before=settle, terminal_size=NARROW)


def test_narrow_failed_call_opens_on_its_tab(serves, snap_compare) -> None:
    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press("g", "n")  # the first failure: the expired token
        await settle(pilot)

    assert snap_compare(app_with(serves), run_before=run_before, terminal_size=NARROW)


def test_narrow_zoomed_detail(serves, snap_compare) -> None:
    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press("g", "n", "n", "z")  # the invalid answer, its tabs on the whole screen
        await settle(pilot)

    assert snap_compare(app_with(serves), run_before=run_before, terminal_size=NARROW)


def test_refused_call_is_not_judged(serves, snap_compare) -> None:
    assert snap_compare(app_with(serves), run_before=_on_tab("4", 5), terminal_size=SIZE)


def test_compare_a_replay_with_its_original(serves, snap_compare) -> None:
    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press("d")
        await settle(pilot)

    assert snap_compare(app_with(serves), run_before=run_before, terminal_size=SIZE)
