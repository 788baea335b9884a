"""build_responder picks the answer source the settings ask for; answers flow through the real receiver."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from hookdev.answers.forward import ForwardResponder
from hookdev.answers.handlers import HandlerResponder
from hookdev.answers.responders import build_responder
from hookdev.answers.templates import Template, TemplateResponder
from hookdev.okta.validate import validate
from hookdev.receiver.server import Receiver, create_app
from hookdev.receiver.store import Store
from tests.answers.calls import SAMPLES, make_call, sample
from tests.conftest import make_settings, until


@pytest.fixture
def store(tmp_path: Path):  # type: ignore[no-untyped-def]
    s = Store(tmp_path / "hookdev.db")
    s.start()
    yield s
    s.close()


async def test_templates_answer_when_nothing_else_is_set(tmp_path: Path) -> None:
    responder = await build_responder(make_settings(tmp_path))
    assert isinstance(responder, TemplateResponder)
    assert responder.templates.folder == tmp_path / ".hookdev" / "responses"
    await responder.close()


async def test_a_handler_file_wins_and_both_sources_report_their_problems(tmp_path: Path) -> None:
    notices: list[tuple[str, str]] = []
    settings = make_settings(tmp_path, responses={"handler": "hooks.py"})
    responder = await build_responder(settings, notify=lambda level, message: notices.append((level, message)))
    assert isinstance(responder, HandlerResponder)
    assert responder.handlers.file == tmp_path / "hooks.py"
    (tmp_path / "hooks.py").write_text("def token(request):\n    return None\n")
    templates = tmp_path / ".hookdev" / "responses"
    templates.mkdir(parents=True)
    (templates / "saml.json").write_text("{not json")
    assert (await responder.respond(make_call(sample("token")))).source == "handler"
    assert notices == []
    saml = await responder.respond(make_call(sample("saml")))  # no saml() in hooks.py: the broken template
    assert saml.status == 500
    [(level, message)] = notices
    assert level == "error" and "saml.json is not valid JSON" in message and "get a 500" in message
    (tmp_path / "hooks.py").write_text("def token(request) return None\n")  # a syntax error, a new version
    os.utime(tmp_path / "hooks.py", ns=(1, 1))  # a different mtime, whatever the clock's resolution
    await until(lambda: len(notices) == 2, "the background reload to report the broken hooks.py")
    assert notices[1][0] == "error" and "hooks.py" in notices[1][1] and "until the file is fixed" in notices[1][1]
    assert (await responder.respond(make_call(sample("token")))).status == 500
    await responder.close()


async def test_forward_is_used_when_set(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, responses={"forward": "http://127.0.0.1:3000/", "forward_timeout": 1.5})
    responder = await build_responder(settings)
    assert isinstance(responder, ForwardResponder)
    assert (responder.base_url, responder.timeout) == ("http://127.0.0.1:3000", 1.5)
    assert responder.templates.folder == tmp_path / ".hookdev" / "responses"
    await responder.close()


async def post_token(client: Any, path: str = "/tokenHook") -> Any:
    return await client.post(
        path, data=(SAMPLES / "token.json").read_bytes(), headers={"Content-Type": "application/json"}
    )


async def test_a_template_edit_is_answered_and_recorded_by_the_receiver(
    tmp_path: Path, aiohttp_client: Any, store: Store
) -> None:
    responder = await build_responder(make_settings(tmp_path))
    client = await aiohttp_client(create_app(Receiver(store=store, responder=responder, validator=validate)))
    first = await post_token(client)
    assert first.status == 204
    patch = {"commands": [{"type": "com.okta.access.patch",
                           "value": [{"op": "add", "path": "/claims/team", "value": "clinic"}]}]}
    responder.templates.save("token", Template(200, {}, patch))
    second = await post_token(client)
    assert second.status == 200 and await second.json() == patch
    recorded = store.get(second.headers["X-Hookdev-Exchange"])
    assert recorded is not None
    assert (recorded.kind, recorded.source, recorded.status) == ("token", "template", 200)
    assert recorded.validation.ok, recorded.validation.to_json()
    await responder.close()


async def test_a_handler_answer_and_its_output_are_recorded(
    tmp_path: Path, aiohttp_client: Any, store: Store
) -> None:
    (tmp_path / "hooks.py").write_text(
        "def token(request):\n"
        "    print('claims for', request.get('data.context.user.profile.login'))\n"
        "    return {'commands': [{'type': 'com.okta.identity.patch',\n"
        "            'value': [{'op': 'add', 'path': '/claims/team', 'value': 'clinic'}]}]}\n"
    )
    responder = await build_responder(make_settings(tmp_path, responses={"handler": "hooks.py"}))
    client = await aiohttp_client(create_app(Receiver(store=store, responder=responder, validator=validate)))
    resp = await post_token(client)
    assert resp.status == 200
    assert (await resp.json())["commands"][0]["type"] == "com.okta.identity.patch"
    recorded = store.get(resp.headers["X-Hookdev-Exchange"])
    assert recorded is not None
    assert (recorded.source, recorded.log, recorded.error) == ("handler", "claims for nia.patel@example.com\n", None)
    assert recorded.validation.ok
    await responder.close()


async def test_forward_through_the_receiver_records_the_upstream_answer(
    tmp_path: Path, aiohttp_client: Any, aiohttp_server: Any, store: Store
) -> None:
    async def upstream(request: web.Request) -> web.Response:
        body = await request.json()
        assert body["eventType"] == "com.okta.oauth2.tokens.transform"
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/tokenHook", upstream)
    server = await aiohttp_server(app)
    settings = make_settings(tmp_path, responses={"forward": f"http://127.0.0.1:{server.port}"})
    responder = await build_responder(settings)
    client = await aiohttp_client(create_app(Receiver(store=store, responder=responder, validator=validate)))
    resp = await post_token(client)
    assert resp.status == 204
    assert float(resp.headers["X-Hookdev-Upstream-Ms"]) >= 0
    recorded = store.get(resp.headers["X-Hookdev-Exchange"])
    assert recorded is not None and recorded.source == "forward"
    assert "upstream answered 204" in recorded.log
    await responder.close()


async def test_a_crashing_handler_is_recorded_as_a_500_and_the_receiver_keeps_serving(
    tmp_path: Path, aiohttp_client: Any, store: Store
) -> None:
    (tmp_path / "hooks.py").write_text("def token(request):\n    return 1 / 0\n")
    responder = await build_responder(make_settings(tmp_path, responses={"handler": "hooks.py"}))
    client = await aiohttp_client(create_app(Receiver(store=store, responder=responder, validator=validate)))
    crashed = await post_token(client)
    assert crashed.status == 500
    assert json.loads(await crashed.text())["error"].startswith("the hook handler failed")
    recorded = store.get(crashed.headers["X-Hookdev-Exchange"])
    assert recorded is not None and "ZeroDivisionError" in recorded.log
    assert recorded.error == "hooks.py: token() raised ZeroDivisionError: division by zero"
    assert not recorded.validation.ok  # Okta would not take a 500
    saml = await client.post("/samlHook", data=(SAMPLES / "saml.json").read_bytes())
    assert saml.status == 204  # no saml() in the file: the template answers
    await responder.close()
