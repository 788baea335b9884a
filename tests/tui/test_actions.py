"""Every inspector action driven by keys through Pilot, over the fixed exchanges and a Session stand-in."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from textual.widgets import Input, OptionList, TextArea

from hookdev.models import HookCall, RequestSnapshot
from hookdev.tui.app import HIGH_CONTRAST, HookdevApp
from hookdev.tui.screens.breakpoint import BreakpointEditor
from hookdev.tui.screens.editor import AnswerEditor, RequestEditor
from hookdev.tui.screens.help import HelpScreen
from hookdev.tui.screens.prompts import ChoicePrompt, TextPrompt
from tests.tui.conftest import FakeSession, ex, fake_session

SIZE = (120, 40)


async def settle(pilot) -> None:
    for _ in range(3):
        await pilot.pause()
        busy = [w for w in pilot.app.workers if w.group != "prompt" and not w.is_finished]
        if busy:
            await pilot.app.workers.wait_for_complete(busy)
    await pilot.pause(0.12)  # one flush of arrivals


def ids(app: HookdevApp) -> list[str]:
    return list(app.main.table.exchanges)


async def test_rows_load_newest_selected_and_arrivals_follow(session: FakeSession) -> None:
    app = HookdevApp(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert len(ids(app)) == 8 and app.main.table.selected.id == "0000000000008"
        session.deliver(ex(9, "saml", "/samlHook"))
        await settle(pilot)
        assert app.main.table.selected.id == "0000000000009"


async def test_selection_stays_put_as_calls_arrive(session: FakeSession) -> None:
    app = HookdevApp(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("k", "k")
        assert app.main.table.selected.id == "0000000000006"
        for n in range(9, 14):
            session.deliver(ex(n, "token", "/tokenHook"))
        await settle(pilot)
        assert app.main.table.selected.id == "0000000000006" and len(ids(app)) == 13
        await pilot.press("G")  # back to the newest: following again
        session.deliver(ex(14, "token", "/tokenHook"))
        await settle(pilot)
        assert app.main.table.selected.id == "0000000000014"


async def test_list_is_bounded_and_keeps_the_newest(tmp_path: Path) -> None:
    session = fake_session(tmp_path, [ex(n, "token", "/tokenHook") for n in range(1, 8)])
    app = HookdevApp(session)
    app.main.cap = 5
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert ids(app)[0] == "0000000000003" and len(ids(app)) == 5
        for n in range(8, 11):
            session.deliver(ex(n, "token", "/tokenHook"))
        await settle(pilot)
        assert ids(app) == [f"0000000000{n:03d}" for n in range(6, 11)]
        assert "newest 5 of 10" in str(app.main.query_one("#status").render())


async def test_r_replays_the_selected_call_and_the_copy_is_marked(session: FakeSession) -> None:
    app = HookdevApp(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.main.table.select_id("0000000000005")
        await pilot.press("r")
        await settle(pilot)
        assert session.replays == [("0000000000005", None, None)]
        newest = app.main.table.exchanges[ids(app)[-1]]
        assert newest.replay_of == "0000000000005"
        assert app.main.table.selected.id == "0000000000005"  # the user's selection stayed


async def test_R_replays_to_another_url(session: FakeSession) -> None:
    app = HookdevApp(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("R")
        await settle(pilot)
        assert isinstance(app.screen, TextPrompt)
        app.screen.query_one(Input).value = "http://127.0.0.1:3000/hooks"
        await pilot.press("enter")
        await settle(pilot)
        assert session.replays == [("0000000000008", "http://127.0.0.1:3000/hooks", None)]


async def test_e_edits_the_answer_with_live_validation_and_saves_it(session: FakeSession) -> None:
    app = HookdevApp(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.main.table.select_id("0000000000004")
        await pilot.press("e")
        await settle(pilot)
        editor = app.screen
        assert isinstance(editor, AnswerEditor) and editor.kind == "token"
        editor.query_one(TextArea).text = '{"commands": [{"type": "com.okta.identity.patch", "value": [' \
            '{"op": "replace", "path": "/claims/iss", "value": "x"}]}]}'
        editor.query_one("#editor-status", Input).value = "200"
        await settle(pilot)
        assert any("reserved" in p.message for p in editor.problems)
        editor.query_one(TextArea).text = '{"commands": []}'
        await settle(pilot)
        assert editor.problems == ()
        await pilot.press("ctrl+s")
        await settle(pilot)
        saved = session.templates.get("token")
        assert (saved.status, saved.body) == (200, {"commands": []})


async def test_e_refuses_to_save_text_that_is_not_json(session: FakeSession) -> None:
    app = HookdevApp(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        app.screen.query_one(TextArea).text = '{"commands": ['
        await settle(pilot)
        assert "not JSON" in app.screen.problems[0].message
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, AnswerEditor)  # still open: nothing was saved
        await pilot.press("escape")
        await settle(pilot)
        assert session.templates.get("token").status == 204


async def test_E_edits_the_request_body_then_replays_it(session: FakeSession) -> None:
    app = HookdevApp(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("E")
        await settle(pilot)
        assert isinstance(app.screen, RequestEditor)
        body = json.loads(app.screen.query_one(TextArea).text)
        body["eventId"] = "edited"
        app.screen.query_one(TextArea).text = json.dumps(body)
        await pilot.press("ctrl+s")
        await settle(pilot)
        (ident, to, sent), = session.replays
        assert ident == "0000000000008" and to is None and json.loads(sent)["eventId"] == "edited"


async def test_slash_filters_by_verdict_and_escape_clears(session: FakeSession) -> None:
    app = HookdevApp(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        await settle(pilot)
        app.screen.query_one(Input).value = "token expired"
        await pilot.press("enter")
        await settle(pilot)
        assert ids(app) == ["0000000000005"]
        session.deliver(ex(9, "saml", "/samlHook"))  # does not match: not shown
        await settle(pilot)
        assert ids(app) == ["0000000000005"]
        await pilot.press("escape")
        await settle(pilot)
        assert len(ids(app)) == 9


async def test_b_holds_the_next_call_with_a_countdown_and_sends_the_edit(session: FakeSession) -> None:
    app = HookdevApp(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("b")
        await settle(pilot)
        assert isinstance(app.screen, ChoicePrompt)
        app.screen.query_one(OptionList).highlighted = [v for _, v in app.screen.choices].index("saml")
        await pilot.press("enter")
        await settle(pilot)
        assert session.breakpoints.armed == {"saml"}
        deadline = asyncio.get_running_loop().time() + 60  # the UI flow here; deadlines: the core tests
        call = HookCall("saml", RequestSnapshot("POST", "/samlHook"), body={}, deadline=deadline)
        task = asyncio.create_task(session.breakpoints.respond(call))
        await settle(pilot)
        assert isinstance(app.screen, BreakpointEditor)
        assert "s left" in str(app.screen.query_one("#countdown").render())
        app.screen.query_one(TextArea).text = '{"commands": []}'
        app.screen.query_one("#editor-status", Input).value = "200"
        await pilot.pause()
        await pilot.press("ctrl+s")
        answer = await task
        assert (answer.status, answer.body, answer.source) == (200, b'{"commands": []}', "breakpoint")


async def test_x_exports_the_selected_call_as_har_with_secrets_masked(session: FakeSession, tmp_path: Path) -> None:
    app = HookdevApp(session)
    target = tmp_path / "out.har"
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("x")
        await settle(pilot)
        await pilot.press("enter")  # HAR is first
        await settle(pilot)
        app.screen.query_one(Input).value = str(target)
        await pilot.press("enter")
        await settle(pilot)
        await asyncio.sleep(0.1)
        await settle(pilot)
    har = json.loads(target.read_text())
    headers = {h["name"]: h["value"] for h in har["log"]["entries"][0]["request"]["headers"]}
    assert len(har["log"]["entries"]) == 1 and "YWRtaW46c3VwZXJzZWNyZXQ=" not in headers["Authorization"]


async def test_m_marks_calls_and_x_exports_only_the_marked_as_curl(session: FakeSession, tmp_path: Path) -> None:
    app = HookdevApp(session)
    target = tmp_path / "calls.sh"
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("m", "k", "k", "m", "x")
        await settle(pilot)
        app.screen.query_one(OptionList).highlighted = 1
        await pilot.press("enter")
        await settle(pilot)
        app.screen.query_one(Input).value = str(target)
        await pilot.press("enter")
        await asyncio.sleep(0.1)
        await settle(pilot)
    lines = [line for line in target.read_text().splitlines() if line.startswith("curl")]
    assert len(lines) == 2 and all("/tokenHook" in line for line in lines)


async def test_c_copies_a_hook_url(session: FakeSession) -> None:
    app = HookdevApp(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert app.clipboard == "http://127.0.0.1:8080/registrationHook"


async def test_s_reveals_secrets_only_on_request(session: FakeSession) -> None:
    app = HookdevApp(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        body = app.main.query_one("#request-body")
        assert "YWRtaW46c3VwZXJzZWNyZXQ=" not in _text(body)
        await pilot.press("s")
        await settle(pilot)
        assert "YWRtaW46c3VwZXJzZWNyZXQ=" in _text(body)


async def test_o_goes_to_the_original_of_a_replay(session: FakeSession) -> None:
    app = HookdevApp(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("o")
        await settle(pilot)
        assert app.main.table.selected.id == "0000000000004"


async def test_tabs_help_theme_and_palette(session: FakeSession) -> None:
    app = HookdevApp(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("4")
        assert app.main.detail.active == "validation"
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape", "t")
        assert app.theme == HIGH_CONTRAST.name
        titles = [c.title for c in app.get_system_commands(app.main)]
        assert {"Replay", "Edit answer", "Breakpoint", "Export", "Copy URL"} <= set(titles)


async def test_q_stops_the_session_and_exits(session: FakeSession) -> None:
    app = HookdevApp(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("q")
        await pilot.pause()
    assert session.stopped and app.return_code == 0


def _text(widget) -> str:
    from rich.console import Console

    console = Console(width=120, record=True)
    console.print(widget.content)
    return console.export_text()


async def test_escape_in_the_breakpoint_editor_sends_the_answer_as_it_is(session: FakeSession) -> None:
    app = HookdevApp(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        session.breakpoints.arm("token")
        deadline = asyncio.get_running_loop().time() + 60  # the UI flow here; deadlines: the core tests
        call = HookCall("token", RequestSnapshot("POST", "/tokenHook"), body={}, deadline=deadline)
        task = asyncio.create_task(session.breakpoints.respond(call))
        await settle(pilot)
        assert isinstance(app.screen, BreakpointEditor)
        await pilot.press("escape")
        answer = await task
        assert answer.status == 204 and session.breakpoints.held == [] and not isinstance(app.screen, BreakpointEditor)
