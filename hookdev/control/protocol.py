"""The control channel's wire format, shared by the receiver and its views: one JSON object a line.

A view connects to the address in the run-time file beside the store and sends `hello` with the token written
there. The receiver answers with `{"event": "hello", "state": {...}}`, then writes events as they happen:

  exchange   {"id", "counters", "answered_ms"?}  a call was recorded (the view reads its row from the store);
                                           answered_ms: arrival until its answer left, the commit included
  state      {"state": {...}}              URLs, tunnel, hook URLs, armed breakpoints changed
  notice     {"level", "message", "time"}  something the user should see (tunnel died, disk full...)
  held       {"hold": {...}}               a breakpoint is holding a live call (see hold_json)
  released   {"hold", "by", "answer"}      a held call was answered, by a view, the deadline or the stop
  okta       {"exchanges"}                 Okta's System Log said something about these calls (serve --okta)
  reply      {"to", "ok", "result"|"error"} the answer to one command

Commands are `{"cmd": NAME, "n": NUMBER, ...arguments}`; each gets exactly one reply with the same number.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from hookdev import jsonfast
from hookdev.models import Answer

VERSION = 1
MAX_LINE = 8 * 1024 * 1024
"""The longest line either side accepts: an edited body of up to the receiver's 1 MiB limit, base64, with room."""
UNIX_PATH_MAX = 100
"""Longer socket paths than this do not fit in sockaddr_un on every system (macOS allows 104 bytes)."""


class ProtocolError(Exception):
    """A line that is not a JSON object of this protocol."""


def encode(message: dict[str, Any]) -> bytes:
    return jsonfast.dumps(message).encode("utf-8") + b"\n"


def decode(line: bytes) -> dict[str, Any]:
    try:
        message = jsonfast.loads(line)
    except ValueError as exc:
        raise ProtocolError(f"not JSON: {exc}") from None
    if not isinstance(message, dict):
        raise ProtocolError("not a JSON object")
    return message


@dataclass(frozen=True, slots=True)
class Address:
    """Where a serve's control channel listens: a Unix socket path, or a loopback TCP port (Windows, long paths)."""

    path: str | None = None
    host: str = "127.0.0.1"
    port: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path} if self.path else {"host": self.host, "port": self.port}

    @classmethod
    def from_json(cls, data: Any) -> Address | None:
        if not isinstance(data, dict):
            return None
        if isinstance(data.get("path"), str):
            return cls(path=data["path"])
        if isinstance(data.get("port"), int) and isinstance(data.get("host"), str):
            return cls(host=data["host"], port=data["port"])
        return None


def answer_json(answer: Answer) -> dict[str, Any]:
    """An answer for the wire: the body as text when it is UTF-8 (it almost always is), else base64."""
    out: dict[str, Any] = {"status": answer.status, "headers": [list(h) for h in answer.headers]}
    try:
        out["body"] = answer.body.decode("utf-8")
    except UnicodeDecodeError:
        out["body_b64"] = base64.b64encode(answer.body).decode("ascii")
    return out


def answer_from_json(data: Any, *, source: str = "breakpoint") -> Answer:
    """The answer a view sent; raises ProtocolError when it is not one."""
    if not isinstance(data, dict):
        raise ProtocolError("an answer is a JSON object")
    status = data.get("status")
    if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
        raise ProtocolError("an answer's status is an HTTP status code (100-599)")
    headers = data.get("headers", [])
    if not isinstance(headers, list) or not all(
            isinstance(h, list) and len(h) == 2 and all(isinstance(x, str) for x in h) for h in headers):
        raise ProtocolError("an answer's headers are a list of [name, value] pairs")
    if isinstance(data.get("body_b64"), str):
        body = base64.b64decode(data["body_b64"])
    elif isinstance(data.get("body", ""), str):
        body = data.get("body", "").encode("utf-8")
    else:
        raise ProtocolError("an answer's body is text")
    return Answer(status=status, body=body, headers=tuple((k, v) for k, v in headers), source=source)


def body_from_json(data: dict[str, Any], key: str = "body") -> bytes | None:
    """A request body a view sent (`body` as text or `body_b64`), or None when it sent none."""
    if isinstance(data.get(key + "_b64"), str):
        return base64.b64decode(data[key + "_b64"])
    value = data.get(key)
    return value.encode("utf-8") if isinstance(value, str) else None
