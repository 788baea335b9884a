"""The user's handler file: routing, return values, reload on save, crashes, captured output, slow handlers."""

from __future__ import annotations

import asyncio
import json
import os
import textwrap
import time
from pathlib import Path

import pytest

from hookdev.answers.handlers import HandlerResponder
from hookdev.answers.templates import TemplateBook
from tests.answers.calls import make_call, sample, sample_call

Notices = list[tuple[str, str]]


def write(file: Path, source: str) -> None:
    """Write the handler file and move its mtime forward, so the change is seen within one clock tick."""
    existed = file.exists()
    old = file.stat().st_mtime_ns if existed else 0
    file.write_text(textwrap.dedent(source))
    st = file.stat()
    os.utime(file, ns=(st.st_atime_ns, max(st.st_mtime_ns, old) + 2_000_000_000))


def responder(tmp_path: Path, source: str, notices: Notices | None = None, **kwargs: float) -> HandlerResponder:
    file = tmp_path / "hooks.py"
    write(file, source)
    notify = (lambda level, message: notices.append((level, message))) if notices is not None else None
    templates = TemplateBook(tmp_path / "responses", check_interval=0)
    return HandlerResponder(file, templates, notify=notify, check_interval=0, **kwargs)


def body(answer) -> object:  # type: ignore[no-untyped-def]
    return json.loads(answer.body)


async def test_a_function_named_after_the_kind_answers_and_its_print_is_the_log(tmp_path: Path) -> None:
    r = responder(
        tmp_path,
        """
        def token(request):
            print("user", request.get("data.context.user.profile.login"))
            return {"commands": []}
        """,
    )
    answer = await r.respond(sample_call("token"))
    assert (answer.status, body(answer), answer.source) == (200, {"commands": []}, "handler")
    assert ("Content-Type", "application/json") in answer.headers
    assert answer.log == "user nia.patel@example.com\n"
    await r.close()


async def test_a_path_wins_over_the_kind_and_default_catches_the_rest(tmp_path: Path) -> None:
    r = responder(
        tmp_path,
        """
        from hookdev import hook

        def token(request):
            return {"by": "kind"}

        @hook("/special/")
        async def special(request):
            return {"by": "path", "path": request.path}

        def default(request):
            return {"by": "default", "kind": request.kind}
        """,
    )
    assert body(await r.respond(sample_call("token", path="/special"))) == {"by": "path", "path": "/special"}
    assert body(await r.respond(sample_call("token", path="/tokenHook"))) == {"by": "kind"}
    assert body(await r.respond(sample_call("saml"))) == {"by": "default", "kind": "saml"}
    await r.close()


async def test_kinds_without_a_function_are_answered_by_the_templates(tmp_path: Path) -> None:
    r = responder(tmp_path, "def token(request):\n    return {}\n")
    answer = await r.respond(sample_call("telephony-sms"))
    assert answer.source == "template"
    assert body(answer)["commands"][0]["type"] == "com.okta.telephony.action"
    assert (tmp_path / "responses" / "telephony.json").exists()
    assert r.templates is not None
    await r.close()


async def test_hook_by_kind_name_routes_like_a_function_named_after_it(tmp_path: Path) -> None:
    r = responder(
        tmp_path,
        """
        from hookdev import hook

        @hook("password-import")
        def check(request):
            return {"commands": [{"type": "com.okta.action.update", "value": {"credential": "VERIFIED"}}]}
        """,
    )
    answer = await r.respond(sample_call("password-import"))
    assert body(answer)["commands"][0]["value"] == {"credential": "VERIFIED"}
    await r.close()


@pytest.mark.parametrize(
    ("returned", "status", "payload", "header"),
    [
        ("None", 204, None, None),
        ("({'error': {'errorSummary': 'no'}}, 400)", 400, {"error": {"errorSummary": "no"}}, None),
        ("({}, 201, {'X-Trace': 'abc'})", 201, {}, ("X-Trace", "abc")),
        ("204", 204, None, None),
        ("'{\"commands\": []}'", 200, {"commands": []}, None),
        ("[1, 2]", 200, [1, 2], None),
    ],
)
async def test_what_a_handler_returns_is_what_is_sent(
    tmp_path: Path, returned: str, status: int, payload: object, header: tuple[str, str] | None
) -> None:
    r = responder(tmp_path, f"def token(request):\n    return {returned}\n")
    answer = await r.respond(sample_call("token"))
    assert answer.status == status
    assert (json.loads(answer.body) if answer.body else None) == payload
    if header:
        assert header in answer.headers
    await r.close()


@pytest.mark.parametrize(
    ("returned", "complaint"),
    [
        ("({}, 'ok')", "returned status 'ok'"),
        ("({}, 200, {'X': 1})", "headers are a dict of strings"),
        ("{'when': object()}", "not JSON"),
        ("(1, 2, 3, 4)", "tuple of 4 items"),
    ],
)
async def test_a_return_value_that_cannot_be_sent_is_a_500_saying_why(
    tmp_path: Path, returned: str, complaint: str
) -> None:
    r = responder(tmp_path, f"def token(request):\n    return {returned}\n")
    answer = await r.respond(sample_call("token"))
    assert answer.status == 500
    assert complaint in body(answer)["error"] and "hooks.py: token()" in body(answer)["error"]
    await r.close()


async def test_saving_the_file_changes_the_next_answer_without_a_restart(tmp_path: Path) -> None:
    notices: Notices = []
    r = responder(tmp_path, "def token(request):\n    return {'version': 1}\n", notices)
    call = sample_call("token")
    assert body(await r.respond(call)) == {"version": 1}
    write(tmp_path / "hooks.py", "def token(request):\n    return {'version': 2}\n")
    assert body(await r.respond(call)) == {"version": 2}
    assert any(level == "info" and "reloaded hooks.py" in message for level, message in notices)
    await r.close()


async def test_an_exception_is_a_500_with_the_traceback_and_the_next_call_works(tmp_path: Path) -> None:
    r = responder(
        tmp_path,
        """
        def token(request):
            print("before the crash")
            return helper(request)

        def helper(request):
            raise KeyError("employeeNumber")

        def saml(request):
            return None
        """,
    )
    answer = await r.respond(sample_call("token"))
    assert answer.status == 500
    assert body(answer)["error"] == "hooks.py: token() raised KeyError: 'employeeNumber'"
    assert answer.error == body(answer)["error"]
    assert answer.log.startswith("before the crash\nTraceback (most recent call last):\n")
    assert 'hooks.py", line 7, in helper' in answer.log
    assert "hookdev/answers" not in answer.log  # only the user's own frames
    assert (await r.respond(sample_call("saml"))).status == 204
    await r.close()


async def test_a_syntax_error_is_a_500_reported_once_per_version_until_fixed(tmp_path: Path) -> None:
    notices: Notices = []
    r = responder(tmp_path, "def token(request)\n    return {}\n", notices)
    first = await r.respond(sample_call("token"))
    second = await r.respond(sample_call("saml"))
    assert first.status == second.status == 500
    assert body(first)["error"].startswith("hooks.py line 1:")
    assert "SyntaxError" in first.log
    assert [level for level, _ in notices] == ["error"]
    write(tmp_path / "hooks.py", "def token(request):\n    return {}\n")
    assert (await r.respond(sample_call("token"))).status == 200
    await r.close()


async def test_an_error_while_loading_the_file_is_a_500_with_its_traceback(tmp_path: Path) -> None:
    r = responder(tmp_path, "import json\nCONFIG = json.loads('{broken')\n")
    answer = await r.respond(sample_call("token"))
    assert answer.status == 500
    assert "hooks.py failed to load: JSONDecodeError" in body(answer)["error"]
    assert 'hooks.py", line 2' in answer.log


async def test_an_unknown_hook_route_is_reported_when_the_file_loads(tmp_path: Path) -> None:
    r = responder(tmp_path, "from hookdev import hook\n@hook('tokens')\ndef t(request):\n    return {}\n")
    answer = await r.respond(sample_call("token"))
    assert answer.status == 500
    assert "not a path (paths start with /) nor a kind" in body(answer)["error"]


async def test_a_missing_file_answers_500_saying_how_to_fix_it(tmp_path: Path) -> None:
    templates = TemplateBook(tmp_path / "responses")
    r = HandlerResponder(tmp_path / "nope.py", templates, check_interval=0)
    answer = await r.respond(sample_call("token"))
    assert answer.status == 500
    assert "does not exist" in body(answer)["error"] and "hookdev init" in body(answer)["error"]


async def test_exit_in_a_handler_does_not_stop_the_server(tmp_path: Path) -> None:
    r = responder(tmp_path, "import sys\ndef token(request):\n    sys.exit(3)\nasync def saml(request):\n    exit(4)\n")
    sync_exit = await r.respond(sample_call("token"))
    async_exit = await r.respond(sample_call("saml"))
    assert sync_exit.status == async_exit.status == 500
    assert "exit(3)" in body(sync_exit)["error"]
    await r.close()


async def test_concurrent_calls_keep_their_own_output(tmp_path: Path) -> None:
    r = responder(
        tmp_path,
        """
        import asyncio, logging, time
        log = logging.getLogger(__name__)

        async def token(request):
            me = request.get("n")
            for step in range(3):
                print(f"async {me} step {step}")
                log.info("async %s logged", me)
                await asyncio.sleep(0.005)
            return {"n": me}

        def saml(request):
            me = request.get("n")
            for step in range(3):
                print(f"sync {me} step {step}")
                time.sleep(0.005)
            return {"n": me}
        """,
    )
    token, saml = sample("token"), sample("saml")
    calls = [make_call({**(token if i % 2 else saml), "n": i}) for i in range(16)]
    answers = await asyncio.gather(*(r.respond(c) for c in calls))
    for i, answer in enumerate(answers):
        flavour = "async" if i % 2 else "sync"
        expected = "".join(f"{flavour} {i} step {s}\n" + (f"INFO hooks: async {i} logged\n" if i % 2 else "")
                           for s in range(3))
        assert body(answer) == {"n": i}
        assert answer.log == expected
    await r.close()


async def test_request_helpers_give_the_common_fields(tmp_path: Path) -> None:
    r = responder(
        tmp_path,
        """
        def registration(request):
            return {
                "email": request.get("data.userProfile.email"),
                "missing": request.get("data.nope.deeper", "fallback"),
                "request_type": request.request_type,
                "event_type": request.event_type,
                "has_context": "request" in request.context,
                "auth": request.headers["authorization"],
                "method": request.method,
                "query": request.query,
            }

        def event(request):
            return {"first": request.get("data.events.0.eventType"), "count": len(request.events)}
        """,
    )
    call = make_call(
        sample("registration-ssr"),
        query="a=1",
        headers=(("Authorization", "Basic YWRtaW46c3VwZXJzZWNyZXQ="),),
    )
    assert body(await r.respond(call)) == {
        "email": "omar.haddad@example.com",
        "missing": "fallback",
        "request_type": "self.service.registration",
        "event_type": "com.okta.user.pre-registration",
        "has_context": True,
        "auth": "Basic YWRtaW46c3VwZXJzZWNyZXQ=",
        "method": "POST",
        "query": "a=1",
    }
    assert body(await r.respond(sample_call("event-batch"))) == {"first": "user.lifecycle.create", "count": 3}
    await r.close()


async def test_a_sync_callable_handing_back_a_coroutine_is_awaited_and_capped(tmp_path: Path) -> None:
    source = (
        "import asyncio\n"
        "async def answer(request, pause):\n    await asyncio.sleep(pause)\n    return {'from': request.kind}\n"
        "token = lambda request: answer(request, 0)\n"
        "saml = lambda request: answer(request, 3600)\n"
    )
    r = responder(tmp_path, source)
    assert body(await r.respond(sample_call("token"))) == {"from": "token"}
    await r.close()
    r = responder(tmp_path, source, hard_cap=0.1)  # the coroutine sleeps an hour: past any cap
    late = await r.respond(make_call(sample("saml"), deadline=time.monotonic() + 3.0))
    assert late.status == 504 and "still running 0.1 s" in body(late)["error"]
    await r.close()


async def test_a_handler_past_okta_budget_is_still_waited_for(tmp_path: Path) -> None:
    r = responder(tmp_path, "import asyncio\nasync def token(request):\n    await asyncio.sleep(0.05)\n    return {}\n")
    late = make_call(sample("token"), deadline=time.monotonic() - 0.01)  # Okta's 3 s ran out already
    answer = await r.respond(late)
    assert answer.status == 200 and answer.error is None
    await r.close()


@pytest.mark.parametrize("flavour", ["async", "sync"])
async def test_a_handler_past_the_hard_cap_is_answered_504(tmp_path: Path, flavour: str) -> None:
    # Both handlers run until the test is over, however long the cap takes to come on a busy machine.
    done = tmp_path / "test-over"
    source = (
        "import asyncio\nasync def token(request):\n    print('started')\n    await asyncio.sleep(3600)\n"
        if flavour == "async"
        else f"import os, time\ndef token(request):\n    print('started')\n"
        f"    while not os.path.exists({str(done)!r}):\n        time.sleep(0.01)\n"
    )
    r = responder(tmp_path, source, hard_cap=0.1)
    call = make_call(sample("token"), deadline=time.monotonic() + 3.0)
    try:
        answer = await r.respond(call)
    finally:
        done.touch()  # lets the thread of the sync handler end
    assert answer.status == 504
    assert "still running 0.1 s after the call arrived" in body(answer)["error"]
    assert answer.log == "started\n"
    await r.close()
