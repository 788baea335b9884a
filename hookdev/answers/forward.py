"""Forward mode: relay each call to the user's own service and record its answer and latency."""

from __future__ import annotations

import asyncio
import time
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from multidict import CIMultiDict

from hookdev.answers.templates import TemplateBook
from hookdev.models import Answer, Headers, HookCall

HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection", "te",
     "trailer", "trailers", "transfer-encoding", "upgrade"}
)
NOT_RELAYED_UP = HOP_BY_HOP | {"host", "content-length"}
# The body is decompressed on the way in, so its encoding and length no longer describe it.
NOT_RELAYED_DOWN = HOP_BY_HOP | {"content-length", "content-encoding"}
UPSTREAM_HEADER = "X-Hookdev-Upstream-Ms"
MAX_UPSTREAM_BODY = 8 * 1024 * 1024
"""An upstream answer larger than this is refused (Okta itself takes under 256 KB)."""
AUTO_HEADERS = ("User-Agent", "Accept", "Accept-Encoding")


def relayed_headers(headers: Headers, drop: frozenset[str]) -> list[tuple[str, str]]:
    """Headers minus the hop-by-hop ones, including any the Connection header names."""
    named = {
        token.strip().lower()
        for name, value in headers
        if name.lower() == "connection"
        for token in value.split(",")
    }
    return [(k, v) for k, v in headers if k.lower() not in drop and k.lower() not in named]


async def probe(url: str, timeout: float = 1.0) -> str | None:
    """Whether something listens at the URL's host and port: None when it does, else why not.

    Only a connection is opened and closed, no request is sent: the user's service sees nothing it has to
    answer.
    """
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(parts.hostname, port), timeout)
    except TimeoutError:
        return f"no answer within {timeout:g} s"
    except OSError as exc:
        return exc.strerror or type(exc).__name__
    writer.close()
    try:
        await writer.wait_closed()
    except OSError:
        pass
    return None


class ForwardResponder:
    """Relays every call to base_url + path (+ query), as Okta sent it, and answers what comes back."""

    relays_verification = True
    """The event hook verification GET goes to the user's service too: its own verification code is exercised."""

    def __init__(self, base_url: str, timeout: float, templates: TemplateBook) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.templates = templates
        """Not used to answer; kept so the inspector can edit templates whichever mode is on."""
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            # trust_env off: a proxy variable on the laptop must not divert calls meant for localhost
            self._session = aiohttp.ClientSession(trust_env=False, connector=aiohttp.TCPConnector(limit=64))
        return self._session

    async def respond(self, call: HookCall) -> Answer:
        r = call.request
        url = self.base_url + r.path + (f"?{r.query}" if r.query else "")
        headers = relayed_headers(r.headers, NOT_RELAYED_UP)
        present = {k.lower() for k, _ in headers}
        skip = [h for h in AUTO_HEADERS if h.lower() not in present]  # send Okta's headers, not aiohttp's
        started = time.monotonic()
        try:
            async with self._client().request(
                r.method,
                url,
                data=r.body if r.body else None,
                headers=CIMultiDict(headers),
                skip_auto_headers=skip,
                allow_redirects=False,  # Okta does not follow redirects either
                timeout=aiohttp.ClientTimeout(total=self.timeout),
            ) as upstream:
                body = await _read_capped(upstream)
                status, upstream_headers = upstream.status, tuple(upstream.headers.items())
        except (TimeoutError, aiohttp.ServerTimeoutError):
            return self._failed(504, url, started, f"{url} did not answer within {self.timeout:g} s "
                                f"(responses.forward_timeout); Okta waits 3 s, so make your service answer faster")
        except aiohttp.ClientConnectorError as exc:
            return self._failed(502, url, started, self._unreachable(exc))
        except aiohttp.ServerDisconnectedError:
            return self._failed(502, url, started, f"{url} closed the connection without answering; "
                                "check your service's log for a crash")
        except aiohttp.ClientOSError as exc:
            return self._failed(502, url, started, f"{url} reset the connection ({exc.strerror or exc}); "
                                "check your service's log for a crash")
        except aiohttp.ClientResponseError as exc:
            what = (exc.message or "").splitlines()[0].rstrip(":") if exc.message else "unreadable answer"
            return self._failed(502, url, started, f"{url} answered with something that is not HTTP ({what}); "
                                "is the forward URL pointing at an HTTP service?")
        except (aiohttp.ClientError, _TooLarge) as exc:
            return self._failed(502, url, started, f"{url} did not send a usable HTTP answer: {exc}")
        elapsed_ms = (time.monotonic() - started) * 1000
        out = tuple(relayed_headers(upstream_headers, NOT_RELAYED_DOWN)) + ((UPSTREAM_HEADER, f"{elapsed_ms:.1f}"),)
        log = f"forwarded to {url}: upstream answered {status} in {elapsed_ms:.1f} ms\n"
        return Answer(status=status, body=body, headers=out, source="forward", log=log)

    def _unreachable(self, exc: aiohttp.ClientConnectorError) -> str:
        if isinstance(exc.os_error, ConnectionRefusedError):
            return (f"nothing is listening at {self.base_url} — start your service, "
                    "or remove [responses] forward (or --forward)")
        return f"cannot connect to {self.base_url}: {exc.os_error or exc} — check the [responses] forward URL"

    def _failed(self, status: int, url: str, started: float, message: str) -> Answer:
        elapsed_ms = (time.monotonic() - started) * 1000
        payload: dict[str, Any] = {"error": message, "upstream": url}
        answer = Answer.json(status, payload, source="forward", error=message,
                             log=f"forwarded to {url}: no answer after {elapsed_ms:.1f} ms: {message}\n")
        return Answer(answer.status, answer.body, (*answer.headers, (UPSTREAM_HEADER, f"{elapsed_ms:.1f}")),
                      source=answer.source, log=answer.log, error=answer.error)

    async def close(self) -> None:
        await self.templates.close()
        if self._session is not None:
            await self._session.close()
            self._session = None


class _TooLarge(Exception):
    pass


async def _read_capped(response: aiohttp.ClientResponse) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > MAX_UPSTREAM_BODY:
            raise _TooLarge(f"the answer is larger than {MAX_UPSTREAM_BODY // (1024 * 1024)} MiB")
        chunks.append(chunk)
    return b"".join(chunks)
