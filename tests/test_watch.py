"""Answer files stay fresh from the background: a call never waits on a file check, edits still show."""

from __future__ import annotations

import asyncio
import json
import os

from hookdev.answers.handlers import HandlerFile
from hookdev.answers.templates import TemplateBook
from hookdev.models import HookCall, RequestSnapshot
from tests.conftest import until


def call(kind: str = "token", path: str = "/tokenHook") -> HookCall:
    return HookCall(kind=kind, request=RequestSnapshot(method="POST", path=path), body={})  # type: ignore[arg-type]


async def test_a_template_edit_shows_without_a_call_checking_the_file(tmp_path, monkeypatch):
    book = TemplateBook(tmp_path, check_interval=0.05)
    assert (await book.answer(call())).status == 204
    resolves = []
    original = book._resolve
    monkeypatch.setattr(book, "_resolve", lambda *a: resolves.append(a) or original(*a))
    file = book.file_for("token")
    file.write_text(json.dumps({"status": 200, "body": {"commands": []}}))
    os.utime(file, ns=(1, 1))  # a different mtime, whatever the clock's resolution

    async def edited() -> bool:
        return (await book.answer(call())).status == 200

    await until(edited, "the poller to pick up the edit")
    assert resolves, "the edit came through the poller"
    await book.close()


async def test_calls_answer_from_memory_between_polls(tmp_path, monkeypatch):
    book = TemplateBook(tmp_path, check_interval=60)
    await book.answer(call())

    def no_thread(*args, **kwargs):
        raise AssertionError("a call hopped to a thread to check the file")

    monkeypatch.setattr(asyncio, "to_thread", no_thread)
    for _ in range(20):
        assert (await book.answer(call())).status == 204
    monkeypatch.undo()
    await book.close()


async def test_a_handler_edit_is_reloaded_in_the_background(tmp_path):
    file = tmp_path / "hooks.py"
    file.write_text("def token(request):\n    return {'commands': [], 'v': 1}\n")
    handlers = HandlerFile(file, check_interval=0.05)
    first = await handlers.current()
    file.write_text("def token(request):\n    return {'commands': [], 'v': 2}\n")
    os.utime(file, ns=(1, 1))

    async def reloaded() -> bool:
        return (await handlers.current()) is not first

    await until(reloaded, "the handler file to be reloaded")
    await handlers.close()
