"""The Management API client against the double of the org: credentials, Okta's errors, rate limits, pages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from hookdev.errors import ConfigError, OktaError
from hookdev.okta_api.client import ApiToken, OktaClient, check_org_url
from tests.conftest import make_settings
from tests.okta_double import Hook, Org, ServiceApp
from tests.okta_double.org import inline_channel

ALL_SCOPES = {"okta.inlineHooks.manage", "okta.eventHooks.manage", "okta.logs.read"}


def add_hooks(org: Org, count: int) -> None:
    channel = inline_channel({"type": "HTTP", "version": "1.0.0", "config": {"uri": "https://example.com/t"}})
    for i in range(count):
        hook = Hook("inline", f"cal{i:017d}", f"hook {i}", "com.okta.oauth2.tokens.transform", channel)
        org.hooks[hook.id] = hook


async def test_lists_follow_link_pages_until_the_last(org: Org) -> None:
    add_hooks(org, 5)
    async with OktaClient(org.base, ApiToken(org.token)) as client:
        hooks = await client.get_all("/api/v1/inlineHooks")
    assert [h["id"] for h in hooks] == [f"cal{i:017d}" for i in range(5)]
    pages = [path for method, path, _, scheme in org.requests]
    assert pages[0] == "/api/v1/inlineHooks" and len(pages) == 3
    assert all("after=" in p for p in pages[1:])
    assert {scheme for *_, scheme in org.requests} == {"SSWS"}


async def test_a_wrong_api_token_is_okta_s_401_with_what_to_do_and_never_the_token(org: Org) -> None:
    secret = "00wrongTOKENvalue1234567890"
    async with OktaClient(org.base, ApiToken(secret)) as client:
        with pytest.raises(OktaError) as caught:
            await client.get_all("/api/v1/inlineHooks")
    err = caught.value
    assert (err.status, err.code, err.summary) == (401, "E0000011", "Invalid token provided")
    assert "Security > API > Tokens" in str(err) and "OKTA_API_TOKEN" in str(err)
    assert secret not in str(err) and secret not in repr(ApiToken(secret))
    assert err.request_id  # Okta's X-Okta-Request-Id, for a support case


async def test_a_token_without_the_rights_is_okta_s_403(org: Org) -> None:
    org.limited_tokens.add("00limited")
    async with OktaClient(org.base, ApiToken("00limited")) as client:
        with pytest.raises(OktaError) as caught:
            await client.call("POST", "/api/v1/eventHooks", body={})
    assert (caught.value.status, caught.value.code) == (403, "E0000006")
    assert "Super Admin" in str(caught.value)


async def test_a_missing_hook_is_okta_s_404_and_a_bad_body_its_400_with_the_causes(org: Org) -> None:
    async with OktaClient(org.base, ApiToken(org.token)) as client:
        with pytest.raises(OktaError) as missing:
            await client.call("GET", "/api/v1/inlineHooks/calnothere")
        with pytest.raises(OktaError) as bad:
            await client.call("POST", "/api/v1/inlineHooks", body={
                "name": "x", "type": "com.okta.oauth2.tokens.transform", "version": "1.0.0",
                "channel": {"type": "HTTP", "version": "1.0.0", "config": {"uri": "http://example.com/t"}}})
    assert (missing.value.status, missing.value.code) == (404, "E0000007")
    assert "hookdev okta connect" in str(missing.value)
    assert (bad.value.status, bad.value.code) == (400, "E0000001")
    assert bad.value.causes == ("channel.config.uri: The URI must begin with https://",)
    assert "https://" in str(bad.value) and "--tunnel" in str(bad.value)


async def test_the_org_s_hook_limit_is_okta_s_400_with_what_to_do(org: Org) -> None:
    # createInlineHook: "The total number of inline hooks that you can create in an Okta org is limited to 50".
    add_hooks(org, 50)
    body = {"name": "one more", "type": "com.okta.oauth2.tokens.transform", "version": "1.0.0",
            "channel": {"type": "HTTP", "version": "1.0.0", "config": {"uri": "https://example.com/t"}}}
    async with OktaClient(org.base, ApiToken(org.token)) as client:
        with pytest.raises(OktaError) as caught:
            await client.call("POST", "/api/v1/inlineHooks", body=body)
    err = caught.value
    assert (err.status, err.code) == (400, "E0000001") and "(50)" in str(err.causes)
    assert "50 inline hooks in all" in err.fix and "--adopt" in err.fix and "delete" in err.fix


async def test_the_links_okta_sends_as_separate_headers_are_followed(org: Org) -> None:
    add_hooks(org, 3)
    async with OktaClient(org.base, ApiToken(org.token)) as client:
        first = await client.call("GET", "/api/v1/inlineHooks")
        assert len(first.headers.getall("Link")) == 2  # rel="self", then rel="next", each a header of its own
        assert first.next_url and "after=" in first.next_url
        second = await client.call("GET", first.next_url)
    assert [h["id"] for h in first.data + second.data] == [f"cal{i:017d}" for i in range(3)]
    assert second.next_url is None


async def test_rate_limits_are_waited_out_until_okta_s_reset(org: Org) -> None:
    org.throttle = 2
    waits: list[str] = []
    async with OktaClient(org.base, ApiToken(org.token), notify=waits.append) as client:
        reply = await client.call("GET", "/api/v1/eventHooks")
    assert reply.status == 200 and len(waits) == 2 and "rate limit" in waits[0]
    first_429, second_429 = org.times_429
    retried_at = org.requests[-1][2]
    # Each 429 said the window resets at the next whole second: the retry never came before it.
    assert second_429 >= int(first_429) + 1 and retried_at >= int(second_429) + 1


async def test_a_used_up_rate_limit_is_waited_out_before_the_next_call_not_after_a_429(org: Org) -> None:
    org.remaining = 0  # each answer: no call left until the next second
    waits: list[str] = []
    async with OktaClient(org.base, ApiToken(org.token), notify=waits.append) as client:
        await client.call("GET", "/api/v1/eventHooks")
        await client.call("GET", "/api/v1/eventHooks")
    (_, _, first, _), (_, _, second, _) = org.requests
    assert second >= int(first) + 1 and org.times_429 == []
    assert len(waits) == 1 and "used up" in waits[0]


async def test_a_rate_limit_longer_than_hookdev_waits_is_okta_s_429_error(org: Org) -> None:
    org.throttle = 10
    async with OktaClient(org.base, ApiToken(org.token), max_wait=0.0) as client:
        with pytest.raises(OktaError) as caught:
            await client.call("GET", "/api/v1/eventHooks")
    assert (caught.value.status, caught.value.code) == (429, "E0000047")
    assert len(org.requests) == 1


def service_settings(tmp_path: Path, org: Org, key_file: Path, scopes: list[str] | None = None):
    okta = {"org_url": org.base, "client_id": "0oaservice", "private_key": str(key_file)}
    if scopes is not None:
        okta["scopes"] = scopes
    return make_settings(tmp_path, okta=okta)


@pytest.mark.parametrize("dpop", [False, True])
async def test_a_service_app_signs_in_with_private_key_jwt_and_dpop_when_required(
    tmp_path: Path, org: Org, app_key: rsa.RSAPrivateKey, app_key_file: Path, dpop: bool
) -> None:
    org.apps["0oaservice"] = ServiceApp("0oaservice", app_key.public_key(), set(ALL_SCOPES), require_dpop=dpop)
    async with OktaClient.from_settings(service_settings(tmp_path, org, app_key_file)) as client:
        assert await client.get_all("/api/v1/inlineHooks") == []
        assert await client.get_all("/api/v1/logs", {"until": "2100-01-01T00:00:00.000Z"}) is not None
    [(scopes, jkt)] = org.issued.values()  # one token, reused for both calls
    assert scopes == ALL_SCOPES and (jkt is not None) == dpop
    assert {scheme for *_, scheme in org.requests} == {"DPoP" if dpop else "Bearer"}


async def test_a_service_app_key_can_be_the_private_jwk_okta_generates(
    tmp_path: Path, org: Org, app_key: rsa.RSAPrivateKey
) -> None:
    jwk = json.loads(RSAAlgorithm.to_jwk(app_key)) | {"kid": "key-from-okta"}
    key_file = tmp_path / "service-app.jwk.json"
    key_file.write_text(json.dumps(jwk))
    org.apps["0oaservice"] = ServiceApp("0oaservice", app_key.public_key(), set(ALL_SCOPES))
    async with OktaClient.from_settings(service_settings(tmp_path, org, key_file)) as client:
        assert await client.get_all("/api/v1/eventHooks") == []
    assert org.assertion_kids == ["key-from-okta"]

    public = {k: v for k, v in jwk.items() if k in ("kty", "n", "e", "kid")}
    key_file.write_text(json.dumps({"keys": [public]}))
    async with OktaClient.from_settings(service_settings(tmp_path, org, key_file)) as client:
        with pytest.raises(ConfigError, match="holds a public key"):
            await client.get_all("/api/v1/eventHooks")


async def test_a_service_app_okta_does_not_know_or_without_the_scopes_is_told_what_to_fix(
    tmp_path: Path, org: Org, app_key: rsa.RSAPrivateKey, app_key_file: Path
) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    org.apps["0oaservice"] = ServiceApp("0oaservice", other.public_key(), set(ALL_SCOPES))
    async with OktaClient.from_settings(service_settings(tmp_path, org, app_key_file)) as client:
        with pytest.raises(OktaError) as wrong_key:
            await client.get_all("/api/v1/inlineHooks")
    assert wrong_key.value.code == "invalid_client" and "Public Keys" in str(wrong_key.value)

    org.apps["0oaservice"] = ServiceApp("0oaservice", app_key.public_key(), {"okta.inlineHooks.manage"})
    async with OktaClient.from_settings(service_settings(tmp_path, org, app_key_file)) as client:
        with pytest.raises(OktaError) as no_scope:
            await client.get_all("/api/v1/inlineHooks")
    assert no_scope.value.code == "invalid_scope" and "Okta API Scopes" in str(no_scope.value)

    settings = service_settings(tmp_path, org, app_key_file, scopes=["okta.inlineHooks.manage"])
    async with OktaClient.from_settings(settings) as client:
        await client.get_all("/api/v1/inlineHooks")
        with pytest.raises(OktaError) as forbidden:
            await client.get_all("/api/v1/logs")
    assert forbidden.value.status == 403 and "okta.logs.read" in str(forbidden.value)


async def test_credentials_never_go_to_another_host(org: Org) -> None:
    async with OktaClient(org.base, ApiToken(org.token)) as client:
        with pytest.raises(OktaError, match="refusing to send"):
            await client.call("GET", "http://127.0.0.2:1/api/v1/inlineHooks")
    assert org.requests == []


@pytest.mark.parametrize(("url", "says"), [
    ("", "not set"),
    ("https://{yourOktaDomain}", "placeholder"),
    ("http://dev-123.okta.com", "plain http"),
    ("https://dev-123-admin.okta.com", "https://dev-123.okta.com"),
    ("https://dev-123.okta.com/oauth2/default", "has a path"),
    ("dev-123.okta.com", "not a URL"),
])
def test_org_urls_that_cannot_work_are_config_errors(url: str, says: str) -> None:
    with pytest.raises(ConfigError, match="okta.org_url") as caught:
        check_org_url(url)
    assert says in str(caught.value)


def test_org_urls_that_work() -> None:
    assert check_org_url("https://dev-123.okta.com/") == "https://dev-123.okta.com"
    assert check_org_url("http://127.0.0.1:8123") == "http://127.0.0.1:8123"


def test_no_credentials_is_a_config_error_naming_both_ways(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, okta={"org_url": "https://dev-1.okta.com"})
    with pytest.raises(ConfigError, match="OKTA_API_TOKEN") as caught:
        OktaClient.from_settings(settings)
    assert "client_id" in str(caught.value)
