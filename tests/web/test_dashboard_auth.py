"""Signing in to the dashboard: a link from /dashboard signs its own person in for 30 minutes and nobody else, ever;
the session cookie is HttpOnly and SameSite (and Secure behind https); every process on the database checks the same
links; signing out ends the session; forms without the session's CSRF token are refused."""

from __future__ import annotations

import base64
import json
import logging
import re
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from pydantic import SecretStr

from bot.bootstrap import Role, build
from bot.core.clock import ManualClock
from bot.logs import RedactSecrets
from bot.settings import Settings
from bot.web.dashboard.auth import LINK_SECONDS, SESSION_SECONDS, Person, Signing
from bot.web.dashboard.pages import CSP
from bot.web.dashboard.site import SESSION_COOKIE
from curriculum.loader import Curriculum
from tests.conftest import START
from tests.web.dashboard_support import Dashboard, dashboard


@pytest.fixture
async def site(database_url: str, clock: ManualClock, curriculum: Curriculum) -> AsyncIterator[Dashboard]:
    async with dashboard(database_url, clock, curriculum, ManualClock(START)) as built:
        await built.dm("100", "Ada").say("/subscribe 08:30 UTC")
        await built.dm("200", "Bo").say("/subscribe 21:00 Asia/Shanghai")
        yield built


def greeting(html: str) -> str:
    found = re.search(r"<h1>(.*?)</h1>", html)
    assert found is not None
    return found.group(1)


async def test_a_link_signs_its_person_in_and_the_cookie_keeps_them_in(site: Dashboard) -> None:
    response = await site.sign_in("100", "Ada")
    assert response.status_code == 303 and response.headers["location"] == "/me"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=") and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie  # the public address is http here
    assert f"Max-Age={SESSION_SECONDS}" in cookie
    assert greeting(await site.page("/me")) == "Hi, Ada!"


async def test_an_expired_link_is_refused_and_signs_nobody_in(site: Dashboard) -> None:
    link = site.link("100", "Ada")
    site.link_clock.advance(timedelta(seconds=LINK_SECONDS + 1))
    response = await site.client.get(link)
    assert response.status_code == 410 and "expired" in response.text
    assert "set-cookie" not in response.headers
    assert (await site.client.get("/me")).status_code == 401


async def test_a_link_still_fresh_signs_in(site: Dashboard) -> None:
    link = site.link("100", "Ada")
    site.link_clock.advance(timedelta(seconds=LINK_SECONDS - 5))
    assert (await site.client.get(link)).status_code == 303


async def test_a_tampered_link_is_refused(site: Dashboard) -> None:
    token = site.link("100", "Ada").removeprefix("/sign-in/")
    payload, stamp, signature = token.split(".")
    # Ada's link edited to say Bo's user id: the signature no longer matches.
    claim = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claim["u"] = "200"
    forged = base64.urlsafe_b64encode(json.dumps(claim).encode()).rstrip(b"=").decode()
    for bad in (f"{forged}.{stamp}.{signature}", token[:-2] + ("AA" if token[-2:] != "AA" else "BB"), token[:20]):
        response = await site.client.get(f"/sign-in/{bad}")
        assert response.status_code == 400 and "does not work" in response.text
        assert "set-cookie" not in response.headers
    assert (await site.client.get("/me")).status_code == 401


async def test_a_link_signed_with_another_key_is_refused(site: Dashboard) -> None:
    other = Signing("another-key-" + "x" * 40, ManualClock(START))
    response = await site.client.get("/sign-in/" + other.link_token(Person("test", "100", "Ada")))
    assert response.status_code == 400


async def test_another_persons_link_shows_their_page_never_a_mix(site: Dashboard) -> None:
    await site.sign_in("100", "Ada")
    assert greeting(await site.page("/me")) == "Hi, Ada!"
    # Bo's own link, opened in the same browser, is Bo's session: Ada's ends there.
    await site.sign_in("200", "Bo")
    page = await site.page("/me")
    assert greeting(page) == "Hi, Bo!" and 'value="21:00"' in page and "Asia/Shanghai" in page


async def test_a_session_cookie_edited_to_another_person_signs_nobody_in(site: Dashboard) -> None:
    await site.sign_in("100", "Ada")
    value = site.client.cookies[SESSION_COOKIE]
    payload, rest = value.split(".", 1)
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    data["u"] = "200"
    forged = base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()
    site.client.cookies.set(SESSION_COOKIE, f"{forged}.{rest}")
    assert (await site.client.get("/me")).status_code == 401


async def test_a_session_ends_after_a_week(site: Dashboard) -> None:
    await site.sign_in("100", "Ada")
    site.link_clock.advance(timedelta(seconds=SESSION_SECONDS + 1))
    assert (await site.client.get("/me")).status_code == 401


async def test_signing_out_needs_the_forms_token_and_ends_the_session(site: Dashboard) -> None:
    await site.sign_in("100", "Ada")
    assert (await site.post("/sign-out", csrf=False)).status_code == 403
    assert (await site.client.get("/me")).status_code == 200
    response = await site.post("/sign-out")
    assert response.status_code == 303 and f'{SESSION_COOKIE}=""' in response.headers["set-cookie"]
    assert (await site.client.get("/me")).status_code == 401


async def test_a_form_with_a_token_from_another_session_is_refused(site: Dashboard) -> None:
    await site.sign_in("100", "Ada")
    ada = site.csrf()
    await site.sign_in("200", "Bo")
    response = await site.client.post("/me/settings", data={"csrf": ada, "time": "06:00"})
    assert response.status_code == 403
    sub = await site.process.app.learners.chat(site.dm("200", "Bo").address)
    assert sub is not None and sub.local_time.strftime("%H:%M") == "21:00"


async def test_every_page_and_refusal_carries_the_csp(site: Dashboard) -> None:
    answers = [await site.client.get(path) for path in ("/", "/plan", "/me", "/nowhere", "/sign-in/x")]
    await site.sign_in("100", "Ada")
    answers += [await site.client.get(path) for path in ("/me", "/me/export.json", "/static/dashboard.css")]
    answers.append(await site.post("/me/settings", csrf=False))
    for response in answers:
        assert response.headers["content-security-policy"] == CSP, response.url
        assert response.headers["x-content-type-options"] == "nosniff"
    assert "script-src" not in CSP and "'unsafe-inline'" not in CSP and "default-src 'none'" in CSP
    assert [a.status_code for a in answers] == [200, 200, 401, 404, 400, 200, 200, 200, 403]


async def test_cookies_are_secure_behind_https(database_url: str, clock: ManualClock, curriculum: Curriculum) -> None:
    async with dashboard(database_url, clock, curriculum, ManualClock(START),
                         public_url="https://study.example.com") as site:  # fmt: skip
        response = await site.sign_in("100", "Ada")
        assert "Secure" in response.headers["set-cookie"]
        assert site.links.sign_in_url("test", "100", "Ada", None, "") is not None
        url = site.links.sign_in_url("test", "100", "Ada", None, "")
        assert url is not None and url.startswith("https://study.example.com/sign-in/")


async def test_every_process_on_the_database_checks_the_same_links(
    database_url: str, clock: ManualClock, curriculum: Curriculum, caplog: pytest.LogCaptureFixture
) -> None:
    """No key configured: the first process makes one and keeps it in the database; `run`, `web` and the others
    read the same one, so a link one made signs in on another. The key is never logged."""
    caplog.set_level(logging.DEBUG)  # the database driver's debug lines show every statement's values
    caplog.handler.addFilter(RedactSecrets([]))  # as setup_logging installs it on every handler
    settings = Settings(_env_file=None, database_url=SecretStr(database_url), public_url="http://studybot.test")
    bot = await build(
        settings, Role.RUN, clock=clock, curriculum=curriculum, migrate=False, link_clock=ManualClock(START)
    )
    try:
        assert bot.links is not None
        url = bot.links.sign_in_url("test", "100", "Ada", None)
        assert url is not None
    finally:
        await bot.close()
    async with dashboard(database_url, clock, curriculum, ManualClock(START)) as web:
        response = await web.client.get(url.removeprefix("http://studybot.test"))
        assert response.status_code == 303
        key = await web.process.app.store.shared_secret("dashboard", lambda: "never made", clock.now())
    assert len(key) >= 32 and key not in caplog.text


async def test_a_configured_key_signs_and_the_database_key_does_not(
    database_url: str, clock: ManualClock, curriculum: Curriculum
) -> None:
    configured = "k" * 48
    async with dashboard(database_url, clock, curriculum, ManualClock(START), secret_key=SecretStr(configured)) as one:
        link = one.link("100", "Ada")
    async with dashboard(database_url, clock, curriculum, ManualClock(START)) as other:
        assert (await other.client.get(link)).status_code == 400  # another key: the database's
    async with dashboard(database_url, clock, curriculum, ManualClock(START), secret_key=SecretStr(configured)) as same:
        assert (await same.client.get(link)).status_code == 303


def test_a_short_secret_key_is_refused_without_echoing_it() -> None:
    with pytest.raises(ValueError, match="at least 32 characters") as refused:
        Settings(_env_file=None, secret_key="short-secret-value")
    assert "short-secret-value" not in str(refused.value)


@pytest.mark.parametrize("url", ["study.example.com", "ftp://x.example.com", "https://x.example.com/?a=1"])
def test_a_public_url_browsers_cannot_open_is_refused(url: str) -> None:
    with pytest.raises(ValueError, match="the address browsers open"):
        Settings(_env_file=None, public_url=url)


def test_the_public_url_loses_its_trailing_slash() -> None:
    assert Settings(_env_file=None, public_url="https://x.example.com/study/").public_url == (
        "https://x.example.com/study"
    )


async def test_httpx_keeps_no_cookie_for_a_refused_link(site: Dashboard) -> None:
    # The client is a fair stand-in for a browser only if a refused answer leaves its jar empty.
    await site.client.get("/sign-in/nonsense")
    assert isinstance(site.client.cookies, httpx.Cookies) and SESSION_COOKIE not in site.client.cookies


def test_a_sign_in_link_in_a_log_line_keeps_only_its_path(caplog: pytest.LogCaptureFixture) -> None:
    caplog.handler.addFilter(RedactSecrets(["123456:TOKEN"]))
    token = Signing("k" * 43, ManualClock(START)).link_token(Person("telegram", "1", "Ada"))
    logging.getLogger("telegram.ext").warning(
        "sendMessage text=%r token=%s", f"open /sign-in/{token} now", "123456:TOKEN"
    )
    assert token not in caplog.text and "/sign-in/*** now" in caplog.text and "123456:TOKEN" not in caplog.text
