"""Every inspector action driven by keys through Pilot, attached to a real serve over the control channel."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from textual.widgets import Input, OptionList, TextArea

from hookdev.answers.templates import TemplateBook
from hookdev.tui.app import HIGH_CONTRAST, HookdevApp
from hookdev.tui.screens.breakpoint import BreakpointEditor
from hookdev.tui.screens.compare import CompareScreen
from hookdev.tui.screens.editor import AnswerEditor, RequestEditor
from hookdev.tui.screens.help import HelpScreen
from hookdev.tui.screens.notices import NoticesScreen
from hookdev.tui.screens.prompts import ChoicePrompt, TextPrompt
from tests.conftest import until
from tests.tui.conftest import BASIC, ServeThread, app_for, arrivals, ex, sample, settle, start_serve

SIZE = (120, 40)
AUTH = {"Authorization": BASIC}


def ids(app: HookdevApp) -> list[str]:
    return [row.id for row in app.main.table.rows]


def post(serve: ServeThread, path: str, name: str = "token", **headers: str):
    return asyncio.to_thread(serve.post, path, sample(name), {**AUTH, **headers})


def templates(serve: ServeThread) -> TemplateBook:
    return TemplateBook(serve.settings.path(serve.settings.responses.dir))


async def test_rows_load_newest_selected_and_arrivals_follow(serve: ServeThread) -> None:
    app = app_for(serve)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert len(ids(app)) == 8 and app.main.table.selected.id == "0000000000008"
        assert await post(serve, "/samlHook", "saml") == 204
        await arrivals(pilot, 9)
        assert app.main.table.selected.request.path == "/samlHook"


async def test_selection_stays_put_as_calls_arrive(serve: ServeThread) -> None:
    app = app_for(serve)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("k", "k")
        assert app.main.table.selected.id == "0000000000006"
        for _ in range(5):
            await post(serve, "/tokenHook")
        await arrivals(pilot, 13)
        assert app.main.table.selected.id == "0000000000006"
        await pilot.press("G")  # back to the newest: following again
        await post(serve, "/tokenHook")
        await arrivals(pilot, 14)
        assert app.main.table.selected.id == ids(app)[-1]


async def test_list_is_bounded_and_keeps_the_newest(tmp_path: Path) -> None:
    serve = start_serve(tmp_path, [ex(n, "token", "/tokenHook") for n in range(1, 8)])
    try:
        app = app_for(serve, cap=5)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            assert ids(app)[0] == "0000000000003" and len(ids(app)) == 5
            for _ in range(3):
                await post(serve, "/tokenHook")
            await until(lambda: "0000000000005" not in ids(app), "the oldest rows to leave")
            await settle(pilot)
            assert len(ids(app)) == 5 and ids(app)[:2] == ["0000000000006", "0000000000007"]
            assert "5 of 10 shown" in str(app.main.query_one("#status").render())
    finally:
        serve.stop()


async def test_the_selected_row_stays_put_as_old_rows_leave_and_its_eviction_is_said(tmp_path: Path) -> None:
    serve = start_serve(tmp_path, [ex(n, "token", "/tokenHook") for n in range(1, 31)])
    try:
        app = app_for(serve, cap=20)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            table = app.main.table
            assert table.row_count == 20 and table.size.height - 1 < 20, "more rows than the list shows"
            await pilot.press(*["k"] * 4)
            chosen = table.selected.id
            line = table.cursor_row - int(table.scroll_y)
            for _ in range(3):
                await post(serve, "/tokenHook")
            await until(lambda: table.rows[-1].id > "0000000000030" and table.row_count == 20, "three new rows")
            await settle(pilot)
            assert table.selected.id == chosen
            assert table.cursor_row - int(table.scroll_y) == line, "the row stayed where it was on screen"
            await pilot.press("g")  # the oldest listed: the next arrival pushes it out
            oldest = table.selected.id
            await post(serve, "/tokenHook")
            await until(lambda: oldest not in ids(app), "the selected row to leave")
            await until(lambda: any("left the list" in n and oldest in n for n in app.notified), "the user told")
    finally:
        serve.stop()


async def test_r_replays_the_selected_call_and_the_copy_is_marked(serve: ServeThread) -> None:
    app = app_for(serve)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.main.table.select_id("0000000000005")
        await pilot.press("r")
        await arrivals(pilot, 9)
        newest = app.main.table.rows[-1]
        assert newest.replay_of == "0000000000005" and newest.status == 204  # a fresh token: accepted this time
        assert app.main.table.selected.id == "0000000000005"  # the user's selection stayed
        assert any("replayed 0000000000005" in n for n in app.notified)


async def test_R_replays_to_another_url(serve: ServeThread, tmp_path: Path) -> None:
    other = start_serve(tmp_path / "other")
    try:
        app = app_for(serve)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.press("R")
            await settle(pilot)
            assert isinstance(app.screen, TextPrompt)
            app.screen.query_one(Input).value = other.url + "/elsewhere"
            await pilot.press("enter")
            await until(lambda: other.session.counters.calls == 1, "the call at the other receiver")
            assert app.main.table.row_count == 8  # it landed there, not here
    finally:
        other.stop()


async def test_e_edits_the_answer_with_live_validation_and_the_serve_saves_it(serve: ServeThread) -> None:
    app = app_for(serve)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.main.table.select_id("0000000000004")
        await pilot.press("e")
        await until(lambda: isinstance(app.screen, AnswerEditor), "the editor")
        editor = app.screen
        assert editor.kind == "token"
        editor.query_one("#editor-status", Input).value = "200"
        editor.query_one(TextArea).text = '{"commands": [{"type": "com.okta.identity.patch", "value": [' \
            '{"op": "replace", "path": "/claims/iss", "value": "x"}]}]}'
        await settle(pilot)
        assert any("reserved" in p.message for p in editor.problems)
        editor.query_one(TextArea).text = '{"commands": []}'
        await settle(pilot)
        assert editor.problems == ()
        await pilot.press("ctrl+s")
        await until(lambda: templates(serve).get("token").status == 200, "the saved answer")
        assert templates(serve).get("token").body == {"commands": []}
        assert await post(serve, "/tokenHook") == 200  # the next call gets it


async def test_typing_a_body_into_a_204_answer_makes_it_a_200(serve: ServeThread) -> None:
    app = app_for(serve)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("e")
        await until(lambda: isinstance(app.screen, AnswerEditor), "the editor")
        assert app.screen.query_one("#editor-status", Input).value == "204"
        app.screen.query_one(TextArea).text = '{"commands": []}'
        await settle(pilot)
        assert app.screen.query_one("#editor-status", Input).value == "200"
        await pilot.press("ctrl+s")
        await until(lambda: templates(serve).get("token").status == 200, "the answer saved as a 200")


async def test_e_refuses_to_save_text_that_is_not_json(serve: ServeThread) -> None:
    app = app_for(serve)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("e")
        await until(lambda: isinstance(app.screen, AnswerEditor), "the editor")
        app.screen.query_one(TextArea).text = '{"commands": ['
        await settle(pilot)
        assert "not JSON" in app.screen.problems[0].message
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, AnswerEditor)  # still open: nothing was saved
        await pilot.press("escape")
        await settle(pilot)
        assert templates(serve).get("token").status == 204


async def test_E_edits_the_request_body_then_replays_it_and_ctrl_r_restores_the_call(serve: ServeThread) -> None:
    app = app_for(serve)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("E")
        await until(lambda: isinstance(app.screen, RequestEditor), "the request editor")
        area = app.screen.query_one(TextArea)
        original = area.text
        area.text = "{}"
        await pilot.press("ctrl+r")  # the call as recorded, not an answer template
        assert area.text == original and json.loads(original)["eventType"] == "com.okta.oauth2.tokens.transform"
        body = json.loads(area.text)
        body["eventId"] = "edited"
        area.text = json.dumps(body)
        await pilot.press("ctrl+s")
        await arrivals(pilot, 9)
        copy = serve.session.store.get(ids(app)[-1])
        assert copy.replay_of == "0000000000008" and json.loads(copy.request.body)["eventId"] == "edited"


async def test_slash_filters_by_verdict_and_escape_clears(serve: ServeThread) -> None:
    app = app_for(serve)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        await settle(pilot)
        app.screen.query_one(Input).value = "token expired"
        await pilot.press("enter")
        await until(lambda: ids(app) == ["0000000000005"], "the filtered list")
        await post(serve, "/samlHook", "saml")  # does not match: not shown
        await until(lambda: serve.session.counters.calls == 1, "the call recorded")
        await settle(pilot)
        await pilot.pause(0.2)  # two flushes of arrivals, which must add nothing
        assert ids(app) == ["0000000000005"]
        await pilot.press("escape")
        await until(lambda: len(ids(app)) == 9, "every call again")


async def test_keys_typed_as_a_dialog_opens_go_into_it(serve: ServeThread) -> None:
    app = app_for(serve)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash", "r", "e", "s")  # a fast typist: no pause after /
        await settle(pilot)
        assert isinstance(app.screen, TextPrompt)
        assert app.screen.query_one(Input).value == "res"
        assert serve.session.counters.calls == 0, "r was typed into the filter, not run as a replay"


async def test_b_arms_the_serve_and_the_held_call_shows_its_request_and_takes_the_edit(serve: ServeThread) -> None:
    app = app_for(serve)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("b")
        await settle(pilot)
        assert isinstance(app.screen, ChoicePrompt)
        values = [v for _, v in app.screen.choices]
        app.screen.query_one(OptionList).highlighted = values.index(("kind", "saml"))
        await pilot.press("enter")
        await until(lambda: serve.session.breakpoints.armed == {"saml"}, "the serve to arm saml")
        serve.session.breakpoints.margin = -60.0  # far from Okta's deadline: this test drives the screen
        call = post(serve, "/samlHook", "saml")
        answered = asyncio.ensure_future(call)
        await until(lambda: isinstance(app.screen, BreakpointEditor), "the held call")
        await settle(pilot)
        editor = app.screen
        assert "s left" in str(editor.query_one("#countdown").render())
        assert "com.okta.saml.tokens.transform" in str(editor.query_one("#editor-request Static").render())
        editor.query_one("#editor-status", Input).value = "200"
        editor.query_one(TextArea).text = '{"commands": []}'
        await settle(pilot)
        await pilot.press("ctrl+s")
        assert await answered == 200
        await until(lambda: not isinstance(app.screen, BreakpointEditor), "the editor to close")
        await arrivals(pilot, 9)
        held = serve.session.store.get(ids(app)[-1])
        assert (held.status, held.response.body, held.source) == (200, b'{"commands": []}', "breakpoint")


async def test_b_can_hold_by_path(serve: ServeThread) -> None:
    app = app_for(serve)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.main.table.select_id("0000000000006")  # /tokenHookBuggy
        await pilot.press("b")
        await settle(pilot)
        assert app.screen.choices[0][1] == ("path", "/tokenHookBuggy")
        app.screen.query_one(OptionList).highlighted = 0
        await pilot.press("enter")
        await until(lambda: serve.session.breakpoints.armed_paths == {"/tokenHookBuggy"}, "the path armed")
        assert "holding" in str(app.main.query_one("#status").render())


async def test_escape_in_the_breakpoint_editor_sends_the_answer_as_it_is(serve: ServeThread) -> None:
    app = app_for(serve)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        serve.session.breakpoints.margin = -60.0
        serve.call_soon(serve.session.breakpoints.arm, "token")
        await until(lambda: "token" in serve.session.breakpoints.armed, "armed")
        answered = asyncio.ensure_future(post(serve, "/tokenHook"))
        await until(lambda: isinstance(app.screen, BreakpointEditor), "the held call")
        await pilot.press("escape")
        assert await answered == 204
        await until(lambda: not isinstance(app.screen, BreakpointEditor), "the editor to close")
        assert serve.session.breakpoints.held == []


async def test_a_call_answered_by_another_view_closes_this_editor(serve: ServeThread) -> None:
    app = app_for(serve)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        serve.session.breakpoints.margin = -60.0
        serve.call_soon(serve.session.breakpoints.arm, "token")
        await until(lambda: "token" in serve.session.breakpoints.armed, "armed")
        answered = asyncio.ensure_future(post(serve, "/tokenHook"))
        await until(lambda: isinstance(app.screen, BreakpointEditor), "the held call")
        serve.call_soon(serve.session.breakpoints.release_all)  # as another inspector (or serve stopping) would
        assert await answered == 204
        await until(lambda: not isinstance(app.screen, BreakpointEditor), "the editor to close")


async def test_x_exports_the_selected_call_as_har_with_secrets_masked(serve: ServeThread, tmp_path: Path) -> None:
    app = app_for(serve)
    target = tmp_path / "out.har"
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("x")
        await settle(pilot)
        await pilot.press("enter")  # HAR is first
        await settle(pilot)
        app.screen.query_one(Input).value = str(target)
        await pilot.press("enter")
        await until(lambda: any("exported" in n for n in app.notified), "the export")
    har = json.loads(target.read_text())
    headers = {h["name"]: h["value"] for h in har["log"]["entries"][0]["request"]["headers"]}
    assert len(har["log"]["entries"]) == 1 and "YWRtaW46c3VwZXJzZWNyZXQ=" not in headers["Authorization"]
    assert har["log"]["entries"][0]["request"]["postData"]["text"]  # the full call, read from the store


async def test_m_marks_calls_and_x_exports_only_the_marked_as_curl(serve: ServeThread, tmp_path: Path) -> None:
    app = app_for(serve)
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
        await until(lambda: any("exported" in n for n in app.notified), "the export")
    lines = [line for line in target.read_text().splitlines() if line.startswith("curl")]
    assert len(lines) == 2 and all("/tokenHook" in line for line in lines)


async def test_c_copies_a_hook_url(serve: ServeThread) -> None:
    app = app_for(serve)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert app.clipboard == "http://127.0.0.1:8080/tokenHook"  # the selected call's URL comes first


async def test_s_reveals_secrets_only_on_request(serve: ServeThread) -> None:
    app = app_for(serve)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        body = app.main.query_one("#request-body")
        assert "Authorization" in _text(body) and "YWRtaW46c3VwZXJzZWNyZXQ=" not in _text(body)
        await pilot.press("s")
        await settle(pilot)
        assert "YWRtaW46c3VwZXJzZWNyZXQ=" in _text(body)


async def test_o_goes_to_the_original_and_d_compares_the_replay_with_it(serve: ServeThread) -> None:
    app = app_for(serve)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("d")
        await until(lambda: isinstance(app.screen, CompareScreen), "the comparison")
        text = _text(app.screen.query("Static")[1])
        assert "0000000000004" in text and "0000000000008" in text and "auth verdict" in text
        await pilot.press("escape")
        await pilot.press("o")
        await settle(pilot)
        assert app.main.table.selected.id == "0000000000004"


async def test_n_and_N_walk_the_failures_opening_the_tab_that_says_why(serve: ServeThread) -> None:
    app = app_for(serve)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("g", "n")
        await settle(pilot)
        assert app.main.table.selected.id == "0000000000005" and app.main.detail.active == "auth"
        assert "Auth ✗" in str(app.main.detail.query_one("#--content-tab-auth").label)
        await pilot.press("n")
        await settle(pilot)
        assert app.main.table.selected.id == "0000000000006" and app.main.detail.active == "validation"
        await pilot.press("N")
        await settle(pilot)
        assert app.main.table.selected.id == "0000000000005"
        await pilot.press("j", "j")  # 007: fine, back to the tab the user had
        await settle(pilot)
        assert app.main.detail.active == "request"


async def test_notices_stay_findable(serve: ServeThread) -> None:
    app = app_for(serve)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        serve.call_soon(serve.session.notify, "error", "tunnel: cannot reach ngrok's servers")
        await until(lambda: "1 notice" in str(app.main.query_one("#status").render()), "the notice in the header")
        await pilot.press("exclamation_mark")
        await settle(pilot)
        assert isinstance(app.screen, NoticesScreen)
        assert "cannot reach ngrok" in _text(app.screen.query("Static")[1])


async def test_z_gives_the_tabs_the_whole_screen(serve: ServeThread) -> None:
    app = app_for(serve)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("z")
        await settle(pilot)
        assert app.main.maximized is app.main.detail
        await pilot.press("z")
        assert app.main.maximized is None


async def test_tabs_help_theme_and_palette(serve: ServeThread) -> None:
    app = app_for(serve)
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
        assert {"Replay", "Answer", "Hold", "Export", "Compare", "Notices"} <= set(titles)


async def test_q_leaves_an_attached_inspector_and_serve_keeps_running(serve: ServeThread) -> None:
    app = app_for(serve)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0
    assert await post(serve, "/tokenHook") == 204


async def test_the_inspector_says_when_serve_stops_and_keeps_what_it_recorded(tmp_path: Path) -> None:
    serve = start_serve(tmp_path, [ex(1, "token", "/tokenHook")])
    app = app_for(serve)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        serve.stop()
        await until(lambda: app.main.link_state == "gone", "the inspector to see serve leave")
        assert "serve stopped" in str(app.main.query_one("#status").render())
        await pilot.press("r")
        await settle(pilot)
        assert any("not running" in n for n in app.notified)
        assert app.main.table.row_count == 1


def _text(widget) -> str:
    from rich.console import Console

    console = Console(width=120, record=True)
    console.print(widget.content)
    return console.export_text()


async def test_a_call_from_this_machine_can_be_held_with_no_deadline(serve: ServeThread) -> None:
    app = app_for(serve)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("b")
        await settle(pilot)
        values = [v for _, v in app.screen.choices]
        app.screen.query_one(OptionList).highlighted = values.index(("patient", "token"))
        await pilot.press("enter")
        await until(lambda: serve.session.breakpoints.patient == {"token"}, "a patient breakpoint")
        answered = asyncio.ensure_future(post(serve, "/tokenHook"))  # from this machine, as hookdev send
        await until(lambda: isinstance(app.screen, BreakpointEditor), "the held call")
        await settle(pilot)
        assert "no deadline" in str(app.screen.query_one("#countdown").render())
        assert serve.session.breakpoints.held[0].patient
        await pilot.press("ctrl+s")
        assert await answered == 204


async def test_a_live_call_says_when_its_answer_left_beside_the_time_spent_deciding(serve: ServeThread) -> None:
    app = app_for(serve)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await post(serve, "/registrationHook", "registration-ssr")
        await arrivals(pilot, 9)
        await until(lambda: "answered in" in str(app.main.query_one("#verdict").render()), "the end-to-end time")
        assert "ms deciding" in str(app.main.query_one("#verdict").render())
        await pilot.press("k")  # a call recorded before this inspector attached: its time to decide only
        await settle(pilot)
        assert "answered in" not in str(app.main.query_one("#verdict").render())


async def test_the_demo_s_deliberate_failures_carry_their_caption(tmp_path: Path) -> None:
    from hookdev.send.demo import CAPTION_HEADER

    failed = ex(1, "token", "/tokenHook", status=401, source="auth", skipped="refused on purpose",
                headers=(("Content-Type", "application/json"), (CAPTION_HEADER, "expired token, on purpose")))
    serve = start_serve(tmp_path, [failed])
    serve.session.demo = True
    try:
        app = app_for(serve)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await until(lambda: "expired token, on purpose" in str(app.main.query_one("#verdict").render()),
                        "the caption beside the verdict")
    finally:
        serve.stop()


async def test_the_okta_tab_shows_what_okta_logged_as_it_arrives(serve: ServeThread) -> None:
    from hookdev.receiver.store import OktaEvent

    app = app_for(serve)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("6")
        await settle(pilot)
        body = app.main.query_one("#okta-body")
        assert "Nothing from Okta's System Log" in _text(body)
        event = {"uuid": "e1", "eventType": "inline_hook.executed", "published": "2026-01-01T12:00:09.000Z",
                 "outcome": {"result": "SUCCESS"}, "displayMessage": "Inline hook executed",
                 "target": [{"id": "calhookdev", "displayName": "hookdev token", "type": "InlineHook"}],
                 "debugContext": {"debugData": {"requestId": "req-1"}}}
        # What serve --okta's poller does when it matches the log to a call: keep it, then tell the views.
        serve.session.store.add_okta_events([OktaEvent("e1", "0000000000008", 1767268809.0, event["eventType"],
                                                       event)])
        serve.call_soon(serve.session.control.broadcast, {"event": "okta", "exchanges": ["0000000000008"]})
        await until(lambda: "inline_hook.executed" in _text(body), "the event in the open Okta tab")
        assert "Okta •1" in str(app.main.detail.query_one("#--content-tab-okta").label)
