"""`studybot web` as a real process beside `studybot run`, on one database with no key configured: the link the bot
sends for /dashboard (made by `run`) signs in on `web`, which asks Telegram who administers a group before showing
its settings, and changes them as the chat command would. Neither process logs the key, the token or a link."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import httpx

from tests.fakes.telegram_server import FakeTelegram
from tests.processes import Studybot, studybot_env, studybot_once
from tests.test_run_startup import free_port

TOKEN = "987654:AAHsecret-Token_value-0123456789abcdef"
GROUP, EVE = -100500, 41
LINK = re.compile(r"(http://127\.0\.0\.1:\d+/sign-in/[\w.-]+)")


async def test_web_beside_run_checks_the_links_run_sends(tmp_path: Path) -> None:
    port = free_port()
    root = f"http://127.0.0.1:{port}"
    database = f"sqlite:///{tmp_path / 'bot.db'}"
    async with FakeTelegram(token=TOKEN) as tg:
        common = dict(telegram_token=TOKEN, telegram_api_url=tg.root, database_url=database, public_url=root,
                      log_level="DEBUG")  # fmt: skip
        async with Studybot(["run"], studybot_env(**common), tmp_path / "run.log") as run:
            await tg.wait_for_call("getUpdates", timeout=30)
            web_env = studybot_env(**common, web_port=str(port))
            async with Studybot(["web"], web_env, tmp_path / "web.log") as web:
                tg.set_chat(GROUP, type="supergroup", title="Night Owls")
                tg.set_member_status(GROUP, EVE, "administrator")
                tg.send_command(GROUP, "/subscribe 20:00 UTC", user_id=EVE, first_name="Eve")
                await tg.wait_for_call("sendMessage", chat_id=GROUP, timeout=10)
                tg.send_command(GROUP, "/dashboard", user_id=EVE, first_name="Eve")
                private = await tg.wait_for_call("sendMessage", chat_id=EVE, timeout=10)
                found = LINK.search(str(private.params["text"]))
                assert found is not None
                async with httpx.AsyncClient() as browser:
                    for _ in range(100):  # until `web` listens
                        try:
                            health = await browser.get(f"{root}/healthz")
                            break
                        except httpx.TransportError:
                            await tg.wait_until(lambda: True, timeout=0.1)
                    assert health.status_code == 200, health.text
                    signed_in = await browser.get(found.group(1))
                    assert signed_in.status_code == 303 and signed_in.headers["location"] == f"/groups/{GROUP}"
                    page = await browser.get(f"{root}/groups/{GROUP}")
                    assert "<h1>Night Owls</h1>" in page.text and 'id="settings"' in page.text
                    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
                    assert csrf is not None
                    form = {"csrf": csrf.group(1), "time": "21:30", "zone": "UTC", "language": "en", "status": "on"}
                    changed = await browser.post(f"{root}/groups/{GROUP}/settings", data=form)
                    assert changed.status_code == 303
                    after = await browser.get(f"{root}/groups/{GROUP}")
                    assert "Daily time set to 21:30 (UTC)." in after.text and 'value="21:30"' in after.text
                assert any(call.params.get("user_id") == EVE for call in tg.calls_of("getChatMember"))
                code, _ = await web.stop()
            run_code, _ = await run.stop()
    assert code == 0 and run_code == 0, web.output[-2000:]
    with sqlite3.connect(tmp_path / "bot.db") as db:
        [(key,)] = db.execute("SELECT value FROM shared_secrets").fetchall()
    outputs = run.output + web.output
    # PTB logs each message it sends at DEBUG: the link's token is masked there, as the key and the token are.
    assert "/sign-in/***" in outputs and found.group(1).split("/sign-in/")[1] not in outputs
    assert TOKEN not in outputs and key not in outputs
    assert "Traceback" not in outputs


async def test_web_without_a_port_says_which_setting_it_needs(tmp_path: Path) -> None:
    code, _, err = await studybot_once("web", env=studybot_env(database_url=f"sqlite:///{tmp_path / 'bot.db'}"))
    assert code == 2 and "STUDYBOT_WEB_PORT" in err and "STUDYBOT_PUBLIC_URL" in err
