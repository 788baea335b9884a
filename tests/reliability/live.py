"""Helpers of the reliability tests: a live Session on port 0, raw HTTP over sockets, and serve processes."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp

from hookdev.receiver.session import Session
from tests.conftest import ROOT, SAMPLES, make_settings

TOKEN_BODY = (SAMPLES / "token.json").read_bytes()


@asynccontextmanager
async def live_session(tmp_path: Path, **sections: dict[str, Any]) -> AsyncIterator[Session]:
    """A started Session (no tunnel) whose notices are kept in session.seen_notices."""
    sections.setdefault("auth", {"mode": "none"})
    sections.setdefault("tunnel", {"enabled": False})
    session = Session(make_settings(tmp_path, **sections))
    notices: list[tuple[str, str]] = []
    session.on_notice(lambda level, message: notices.append((level, message)))
    session.seen_notices = notices  # type: ignore[attr-defined]
    await session.start()
    try:
        yield session
    finally:
        await session.stop()


def host_port(session: Session) -> tuple[str, int]:
    host, port = session.local_url.removeprefix("http://").rsplit(":", 1)
    return host, int(port)


async def raw_exchange(session: Session, data: bytes, timeout: float = 5.0) -> bytes:
    """Send raw bytes on a fresh connection and read until the server closes or answers in full."""
    reader, writer = await asyncio.open_connection(*host_port(session))
    try:
        writer.write(data)
        await writer.drain()
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout)
        length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                       if line.lower().startswith(b"content-length:")), 0)
        body = await asyncio.wait_for(reader.readexactly(length), timeout) if length else b""
        return head + body
    except asyncio.IncompleteReadError as exc:
        return exc.partial
    finally:
        writer.close()


def post_bytes(path: str, body: bytes, *headers: str, content_type: str = "application/json") -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Type: {content_type}",
             f"Content-Length: {len(body)}", "Connection: close", *headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def status_of(raw: bytes) -> int:
    return int(raw.split(b" ", 2)[1]) if raw.startswith((b"HTTP/1.1 ", b"HTTP/1.0 ")) else 0


async def still_answers(session: Session) -> bool:
    async with aiohttp.ClientSession() as http:
        async with http.post(session.local_url + "/tokenHook", data=TOKEN_BODY,
                             headers={"Content-Type": "application/json"}) as resp:
            return resp.status == 204


def serve_process(cwd: Path, *args: str) -> tuple[subprocess.Popen[str], str]:
    """`hookdev serve --headless --json --port 0` with stdout to a file (a pipe nobody drains would stall it)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOOKDEV_")}
    env["PYTHONPATH"] = str(ROOT)
    out = cwd / f"serve-{len(list(cwd.glob('serve-*.out')))}.out"
    with open(out, "w") as stdout:
        proc = subprocess.Popen(
            [sys.executable, "-m", "hookdev", "serve", "--headless", "--json", "--port", "0", "--no-tunnel", *args],
            cwd=cwd, env=env, stdout=stdout, stderr=subprocess.PIPE, text=True,
        )
    import time

    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        text = out.read_text()
        if "\n" in text:
            return proc, json.loads(text.split("\n", 1)[0])["url"]
        if proc.poll() is not None:
            raise AssertionError("serve exited: " + proc.stderr.read())
        time.sleep(0.02)
    proc.kill()
    raise AssertionError("serve printed nothing within 20 s")
