"""/dashboard on every platform: a personal sign-in link, for the asker's eyes only. In a DM it is the reply; in a
Telegram group it goes to the asker's DM (and the group hears where it went, or how to let it through); in a Discord
channel only the asker sees it. Without a dashboard set up, the bot says so."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest

from bot.adapters.discord import DiscordAdapter
from bot.adapters.telegram import TelegramAdapter
from bot.bootstrap import App
from bot.core.clock import ManualClock
from bot.core.model import ChatKind
from bot.core.replies import TextReply
from bot.web.dashboard.auth import Group, Person, Signing
from tests.adapters.discord_support import ask, content, ephemeral, serving
from tests.fakes.discord_payloads import MANAGE_CHANNELS
from tests.fakes.discord_server import FakeDiscord
from tests.fakes.telegram_server import FakeTelegram
from tests.support import Chat

PUBLIC = "https://study.example.com"
LINK = re.compile(re.escape(PUBLIC) + r"/sign-in/([\w.-]+)")
GROUP, ADA = -100200, 2
HALL, GENERAL, ALICE = 800000000000000011, 810000000000000011, 700000000000000011


@pytest.fixture
def links(app: App, clock: ManualClock) -> Signing:
    signing = Signing("k" * 43, clock, lambda: PUBLIC)
    app.commands.links = signing
    return signing


def claim_in(text: str, links: Signing) -> tuple[Person, Group | None]:
    found = LINK.search(text)
    assert found is not None, text
    claim = links.read_link(found.group(1))
    return claim.person, claim.group


async def test_in_a_dm_the_link_is_the_reply(app: App, links: Signing) -> None:
    [reply] = await Chat(app, chat_id="100", user_id="100", user_name="Ada").send("/dashboard")
    assert isinstance(reply, TextReply) and reply.private and reply.direct
    assert claim_in(reply.text, links) == (Person("test", "100", "Ada"), None)
    assert "30 minutes" in reply.text


async def test_in_a_group_the_link_is_for_the_asker_alone_and_opens_the_group(app: App, links: Signing) -> None:
    member = Chat(app, chat_id="-5", user_id="100", user_name="Ada", kind=ChatKind.GROUP)
    [reply] = await member.send("/dashboard")
    assert isinstance(reply, TextReply) and reply.private and reply.direct
    person, group = claim_in(reply.text, links)
    assert person == Person("test", "100", "Ada") and group == Group("-5", "")
    assert "this group's page" in reply.text


async def test_without_a_dashboard_the_bot_says_so(app: App) -> None:
    text = await Chat(app).say("/dashboard")
    assert "not set up" in text and "STUDYBOT_PUBLIC_URL" in text


async def test_help_lists_it(app: App) -> None:
    assert "/dashboard" in await Chat(app).say("/help")


async def test_telegram_sends_a_groups_link_to_the_askers_dm(
    app: App, telegram: TelegramAdapter, tg: FakeTelegram, links: Signing
) -> None:
    tg.set_chat(GROUP, type="supergroup", title="Py <Club>")
    tg.send_command(GROUP, "/dashboard", user_id=ADA, first_name="Ada")
    private = await tg.wait_for_call("sendMessage", chat_id=ADA)
    person, group = claim_in(str(private.params["text"]), links)
    assert person == Person("telegram", str(ADA), "Ada") and group == Group(str(GROUP), "Py <Club>")
    note = await tg.wait_for_call("sendMessage", chat_id=GROUP)
    assert "Sent to you in a private message" in str(note.params["text"])
    assert not LINK.search(" ".join(str(m.get("text")) for m in tg.messages(GROUP)))


async def test_telegram_says_how_when_it_cannot_write_to_the_asker_first(
    app: App, telegram: TelegramAdapter, tg: FakeTelegram, links: Signing
) -> None:
    tg.fail_next("sendMessage", 403, "Forbidden: bot can't initiate conversation with a user", chat_id=ADA)
    tg.send_command(GROUP, "/dashboard", user_id=ADA, first_name="Ada", chat_type="supergroup")
    note = await tg.wait_for_call("sendMessage", chat_id=GROUP)
    assert "open a chat with me, press Start" in str(note.params["text"])
    assert not LINK.search(" ".join(str(m.get("text")) for m in tg.messages(GROUP)))


async def test_telegram_answers_in_the_dm(
    app: App, telegram: TelegramAdapter, tg: FakeTelegram, links: Signing
) -> None:
    tg.send_command(ADA, "/dashboard", user_id=ADA, first_name="Ada")
    reply = await tg.wait_for_call("sendMessage", chat_id=ADA)
    assert claim_in(str(reply.params["text"]), links) == (Person("telegram", str(ADA), "Ada"), None)


def _hall(server: FakeDiscord) -> None:
    server.add_guild(HALL, "Study Hall", channels=[(GENERAL, "general")], members=[(ALICE, "Alice", MANAGE_CHANNELS)])


@pytest.fixture
async def dc() -> AsyncIterator[FakeDiscord]:
    async with serving(_hall) as server:
        yield server


async def test_discord_shows_a_channels_link_to_the_asker_alone(
    app: App, discord_bot: DiscordAdapter, dc: FakeDiscord, links: Signing
) -> None:
    answer = await ask(dc, "dashboard", user_id=ALICE, channel_id=GENERAL)
    assert await ephemeral(answer)
    person, group = claim_in(await content(answer), links)
    assert person.platform == "discord" and person.user_id == str(ALICE) and group is not None
    assert group.chat_id == str(GENERAL)
