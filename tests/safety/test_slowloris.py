"""Finding 6: half-sent requests and trickled bodies do not lock Okta out, even with macOS's 256 open files.

The flood runs against a serve with RLIMIT_NOFILE lowered to 256 (`ulimit -n 256`), set in the child before it
starts, and the default read deadline: the flood outlives its own opening, so only the cap on open connections
keeps Okta's call in. The deadlines themselves are proved on a serve whose `[server] read_timeout` is 1 s.
"""

from __future__ import annotations

import socket
from pathlib import Path

from tests.conftest import SAMPLES
from tests.safety.serving import Serve, http, request, wait_for

TOKEN = (SAMPLES / "token.json").read_bytes()
FILES = 256
HALF_OPEN = b"POST /tokenHook HTTP/1.1\r\nHost: x\r\nX-Slow: "
TRICKLED = (b"POST /slowBody HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n"
            + TOKEN[:10])


class Held:
    """A connection the test holds open, and what the server sent on it."""

    def __init__(self, address: tuple[str, int], first: bytes) -> None:
        self.sock = socket.create_connection(address, timeout=10)
        self.sock.sendall(first)
        self.sock.setblocking(False)
        self.received = b""

    def closed(self) -> bool:
        """Whether the server closed the connection (reading what it sent before)."""
        try:
            while chunk := self.sock.recv(65536):
                self.received += chunk
        except BlockingIOError:
            return False
        except ConnectionResetError:
            pass
        return True


def legit_call(serve: Serve) -> int:
    return http(serve.address, request("POST", "/tokenHook", TOKEN, "Content-Type: application/json"))[0]


def exchange_lines(serve: Serve, path: str, count: int) -> list[dict]:
    """The serve's exchange lines of calls to `path`, once there are `count` (a line can follow the answer)."""
    def lines() -> list[dict]:
        return [e for e in serve.json_lines() if e.get("event") == "exchange" and e["path"] == path]

    return wait_for(lambda: len(lines()) >= count and lines(), f"{count} exchange lines of {path}")


def test_a_half_open_flood_under_a_low_file_limit_does_not_lock_okta_out(tmp_path: Path) -> None:
    (tmp_path / "hookdev.toml").write_text('[auth]\nmode = "none"\n')
    held: list[Held] = []
    with Serve(tmp_path, ["--json"], nofile=FILES) as serve:
        try:
            for _ in range(FILES + 44):  # more than the process can have files open
                held.append(Held(serve.address, HALF_OPEN))
            for _ in range(20):  # headers in full, then a body that never finishes
                held.append(Held(serve.address, TRICKLED))

            assert legit_call(serve) == 204  # Okta's call, while all of that is held open

            # Room was made by closing the oldest, unanswered (the read deadline is 10 s away).
            wait_for(lambda: all(h.closed() for h in held[:100]), "the oldest half-open connections to be closed")
            assert not any(h.received for h in held[:100])
            assert legit_call(serve) == 204
        finally:
            for connection in held:
                connection.sock.close()
        assert [e["status"] for e in exchange_lines(serve, "/tokenHook", 2)] == [204, 204]
    assert b"Traceback" not in serve.err and b"out of system resource" not in serve.err, serve.err[-2000:]


def test_slow_headers_are_closed_and_trickled_bodies_answered_408_at_the_read_deadline(tmp_path: Path) -> None:
    (tmp_path / "hookdev.toml").write_text('[auth]\nmode = "none"\n[server]\nread_timeout = 1\n')
    with Serve(tmp_path, ["--json"]) as serve:
        half_open = [Held(serve.address, HALF_OPEN) for _ in range(5)]
        trickling = [Held(serve.address, TRICKLED) for _ in range(5)]
        try:
            assert legit_call(serve) == 204
            wait_for(lambda: all(h.closed() for h in half_open), "the half-open connections to be closed")
            wait_for(lambda: all(h.closed() for h in trickling), "the trickled bodies to be answered")
            assert all(h.received.startswith(b"HTTP/1.1 408 ") for h in trickling), trickling[0].received
            assert not any(h.received for h in half_open)  # closed, not answered
            assert legit_call(serve) == 204
        finally:
            for held in half_open + trickling:
                held.sock.close()
        late = exchange_lines(serve, "/slowBody", 5)
        assert len(late) == 5 and {e["status"] for e in late} == {408}
        assert all("did not arrive within 1 s of the headers" in e["error"] for e in late)
        assert [e["status"] for e in exchange_lines(serve, "/tokenHook", 2)] == [204, 204]
    assert b"Traceback" not in serve.err, serve.err[-2000:]
