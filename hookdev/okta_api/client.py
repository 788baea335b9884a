"""A thin Okta Management API client over aiohttp: SSWS or service-app auth, rate limits waited out, Link paging."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any, Protocol
from urllib.parse import urlsplit

import aiohttp

from hookdev import __version__
from hookdev.config import Settings
from hookdev.errors import ConfigError, OktaError
from hookdev.loopback import is_loopback_host
from hookdev.okta_api.advice import okta_error

REQUEST_TIMEOUT_S = 30.0
MAX_RATE_WAITS = 4
"""429 answers waited out for one request before giving up."""
MAX_WAIT_S = 120.0
"""Longest single wait for a rate limit to reset (Okta's windows are one minute)."""
MAX_PAGES = 200

Notify = Callable[[str], None]


class Credentials(Protocol):
    def describe(self) -> str: ...

    async def headers(self, method: str, url: str) -> dict[str, str]: ...

    def retry_after_401(self, headers: Any) -> bool: ...


class ApiToken:
    """An SSWS API token (Security > API > Tokens): acts with the rights of the admin who made it."""

    def __init__(self, token: str) -> None:
        self._token = token

    def __repr__(self) -> str:
        return "ApiToken(••••••)"

    def describe(self) -> str:
        return "API token"

    async def headers(self, method: str, url: str) -> dict[str, str]:
        return {"Authorization": f"SSWS {self._token}"}

    def retry_after_401(self, headers: Any) -> bool:
        return False


def check_org_url(url: str) -> str:
    """The org's base URL, normalised; a ConfigError that says how to fix a wrong one."""
    key = "okta.org_url"
    if not url:
        raise ConfigError(key, 'not set: add [okta] org_url = "https://dev-123456.okta.com" to hookdev.toml '
                               "(or set HOOKDEV_OKTA_ORG_URL)")
    if "{" in url or "yourOktaDomain" in url:
        raise ConfigError(key, f"{url!r} still holds the placeholder: put your org's domain there")
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(key, f"{url!r} is not a URL like https://dev-123456.okta.com")
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        raise ConfigError(key, f"{url} is plain http: Okta orgs are https:// (http:// is only for a local "
                               "double of the org on 127.0.0.1)")
    if "-admin." in parts.hostname:
        fixed = url.replace("-admin.", ".", 1)
        raise ConfigError(key, f"{url} is the Admin Console's address; the API lives at {fixed}")
    if parts.path.strip("/") or parts.query:
        raise ConfigError(key, f"{url} has a path; give only the org's base URL, like "
                               f"{parts.scheme}://{parts.netloc}")
    return f"{parts.scheme}://{parts.netloc}"


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    data: Any
    headers: Mapping[str, str]
    next_url: str | None = None

    @property
    def request_id(self) -> str | None:
        return self.headers.get("X-Okta-Request-Id")


@dataclass(slots=True)
class _Budget:
    remaining: int
    reset_at: float
    """Local epoch seconds when the window resets."""


class OktaClient:
    """One org: requests with credentials, Okta's errors raised as OktaError, 429s waited out, pages followed."""

    def __init__(self, org_url: str, credentials: Credentials | Callable[[aiohttp.ClientSession], Credentials], *,
                 http: aiohttp.ClientSession | None = None, notify: Notify | None = None,
                 max_wait: float = MAX_WAIT_S) -> None:
        self.base = check_org_url(org_url)
        self._own_http = http is None
        self.http = http or aiohttp.ClientSession()
        self.credentials = credentials(self.http) if callable(credentials) else credentials
        self.notify = notify or (lambda message: None)
        self.max_wait = max_wait
        self._budgets: dict[str, _Budget] = {}

    @classmethod
    def from_settings(cls, settings: Settings, *, notify: Notify | None = None,
                      http: aiohttp.ClientSession | None = None) -> OktaClient:
        o = settings.okta
        base = check_org_url(o.org_url)
        if o.api_token:
            return cls(base, ApiToken(o.api_token), notify=notify, http=http)
        if o.client_id and o.private_key:
            from hookdev.auth.service_app import ServiceApp

            key = settings.path(o.private_key)
            return cls(base, lambda h: ServiceApp(base, o.client_id, key, o.scopes, h), notify=notify, http=http)
        if o.client_id:
            raise ConfigError("okta.private_key", "a service app (okta.client_id) needs the path of its private key")
        raise ConfigError("okta.api_token", "hookdev needs to sign in to the org: set OKTA_API_TOKEN (or [okta] "
                                            "api_token) to an API token, or [okta] client_id + private_key for "
                                            "an OAuth 2.0 service app")

    async def __aenter__(self) -> OktaClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._own_http:
            await self.http.close()

    # -- requests --------------------------------------------------------------------------------------
    async def call(self, method: str, path: str, *, body: Any = None,
                   params: Mapping[str, str] | None = None) -> Reply:
        """One API call (path under the org, or a full next-page URL); raises OktaError on Okta's refusal."""
        url = path if path.startswith(("http://", "https://")) else self.base + path
        self._same_org(url)
        what = f"{method} {urlsplit(url).path}"
        waits = 0
        retried = False
        while True:
            await self._respect_budget(url)
            headers = {"Accept": "application/json", "User-Agent": f"hookdev/{__version__}"}
            if body is not None:
                headers["Content-Type"] = "application/json"
            headers.update(await self.credentials.headers(method, url))
            status, data, resp_headers, next_url = await self._send(method, url, body, params, headers, what)
            if status == 429 and waits < MAX_RATE_WAITS:
                waits += 1
                wait = self._reset_wait(resp_headers, waits)
                if wait <= self.max_wait:
                    self.notify(f"Okta's rate limit for {urlsplit(url).path} is reached; waiting {wait:.0f} s "
                                "for it to reset")
                    await asyncio.sleep(wait)
                    continue
            if status == 401 and not retried and self.credentials.retry_after_401(resp_headers):
                retried = True
                continue
            if status >= 400:
                raise okta_error(status, data, what=what, credentials=self.credentials.describe(),
                                 headers=resp_headers)
            return Reply(status, data, resp_headers, next_url)

    async def _send(self, method: str, url: str, body: Any, params: Mapping[str, str] | None,
                    headers: dict[str, str], what: str) -> tuple[int, Any, Mapping[str, str], str | None]:
        try:
            async with self.http.request(
                method, url, data=None if body is None else json.dumps(body), params=params, headers=headers,
                timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S), allow_redirects=False,
            ) as resp:
                raw = await resp.read()
                status, resp_headers = resp.status, resp.headers
                link = resp.links.get("next")
                next_url = str(link.get("url")) if link else None
        except TimeoutError:
            raise OktaError(f"{self.base} did not answer {what} within {REQUEST_TIMEOUT_S:.0f} s",
                            fix="check [okta] org_url and the network") from None
        except aiohttp.ClientError as exc:
            raise OktaError(f"cannot reach {self.base} ({exc})", fix="check [okta] org_url and the network") from None
        self._note_budget(url, resp_headers)
        try:
            data = json.loads(raw) if raw.strip() else None
        except ValueError:
            data = {"errorSummary": raw[:200].decode("utf-8", "replace")} if status >= 400 else None
        return status, data, resp_headers, next_url

    def _same_org(self, url: str) -> None:
        parts = urlsplit(url)
        if f"{parts.scheme}://{parts.netloc}" != self.base:
            raise OktaError(f"refusing to send the org's credentials to {parts.scheme}://{parts.netloc}, "
                            f"which is not {self.base}")

    # -- rate limits -----------------------------------------------------------------------------------
    @staticmethod
    def _bucket(url: str) -> str:
        return "/".join(urlsplit(url).path.split("/")[:4])

    @staticmethod
    def _server_skew(headers: Mapping[str, str]) -> float:
        """Server time minus local time, from the Date header (0 when absent)."""
        try:
            return parsedate_to_datetime(headers["Date"]).timestamp() - time.time()
        except (KeyError, TypeError, ValueError):
            return 0.0

    def _reset_wait(self, headers: Mapping[str, str], attempt: int) -> float:
        try:
            reset = float(headers["X-Rate-Limit-Reset"])
        except (KeyError, ValueError):
            return float(2**attempt)
        server_now = time.time() + self._server_skew(headers)
        return max(reset - server_now, 0.0) + 1.0  # the reset is whole seconds: one more covers the rounding

    def _note_budget(self, url: str, headers: Mapping[str, str]) -> None:
        try:
            remaining = int(headers["X-Rate-Limit-Remaining"])
            reset = float(headers["X-Rate-Limit-Reset"])
        except (KeyError, ValueError):
            return
        self._budgets[self._bucket(url)] = _Budget(remaining, reset - self._server_skew(headers))

    async def _respect_budget(self, url: str) -> None:
        budget = self._budgets.get(self._bucket(url))
        if budget is None or budget.remaining > 0:
            return
        wait = budget.reset_at - time.time() + 1.0
        if 0 < wait <= self.max_wait:
            self.notify(f"Okta's rate limit for {self._bucket(url)} is used up; waiting {wait:.0f} s for it to reset")
            await asyncio.sleep(wait)
        self._budgets.pop(self._bucket(url), None)

    # -- pages -----------------------------------------------------------------------------------------
    async def pages(self, path: str, params: Mapping[str, str] | None = None) -> AsyncIterator[Reply]:
        """Each page of a list, following the Link rel="next" header until a page comes back empty or last."""
        url, query = path, params
        for _ in range(MAX_PAGES):
            reply = await self.call("GET", url, params=query)
            yield reply
            if not reply.next_url or not reply.data:
                return
            url, query = reply.next_url, None

    async def get_all(self, path: str, params: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        async for page in self.pages(path, params):
            items.extend(x for x in page.data or [] if isinstance(x, dict))
        return items
