"""Hostile input: random text to every command and every button parser gets a reply or is ignored, never an
exception (which the user would see as "something went wrong")."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.adapters.telegram.channels import aimed_at_channel
from bot.adapters.telegram.inbound import addressed_elsewhere
from bot.bootstrap import App
from bot.core.commands import ALL_HANDLERS
from bot.core.model import ChatKind
from bot.core.parsing import parse_language, parse_number, parse_time, parse_zone, split_command, suggest_zones
from tests.conftest import sqlite_copy
from tests.support import Chat, RecordingGateway, text_of

SORRY = "something went wrong"
# Text a hostile tester types: any unicode, digits of other scripts, the characters our parsers split on.
HOSTILE = st.lists(
    st.one_of(
        st.text(st.characters(codec="utf-8"), max_size=6),
        st.sampled_from(list("0123456789:：.@/+-_ ²³¹٣٤۵߁०१๒໓༣၄႕០៣᠓᥆᧑᪃᭓᮲᱃꘠꣐꤁꧑꩓꯳０１")),
        st.sampled_from(["UTC", "GMT", "me", "yes", "done", "forget", "Asia/Tokyo", "\n", "\t", "\u200b", " "]),
    ),
    max_size=10,
).map("".join)
ACTIONS = st.one_of(
    HOSTILE,
    st.tuples(st.sampled_from(["done", "forget", "forgetme", "subscribe", "week", ""]), HOSTILE).map(":".join),
)
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture
def database_url(tmp_path: Path, sqlite_template: Path) -> str:
    # Random input exercises parsing, not the database; SQLite alone keeps this quick.
    return sqlite_copy(tmp_path, sqlite_template)


@pytest.fixture
def chats(app: App) -> list[Chat]:
    gateway = RecordingGateway()
    app.gateways.connected(gateway)
    gateway.admins.add(("-7", "1"))
    return [
        Chat(app),
        Chat(app, chat_id="-7", user_id="1", user_name="Admin", kind=ChatKind.GROUP),
        Chat(app, chat_id="-7", user_id="2", user_name="Member", kind=ChatKind.GROUP),
    ]


@FUZZ
@given(command=st.sampled_from([*ALL_HANDLERS, "nope"]), args=HOSTILE, which=st.integers(0, 2))
async def test_every_command_answers_random_arguments(
    chats: list[Chat], caplog: pytest.LogCaptureFixture, command: str, args: str, which: int
) -> None:
    caplog.set_level(logging.ERROR)
    chat = chats[which]
    if command == "subscribe" and which == 0:
        await chat.send("/subscribe 08:00 UTC")  # so /done, /mark and the rest have a plan to work on
    replies = await chat.send(f"/{command} {args}")
    assert all(SORRY not in text_of(r) for r in replies), (command, args)
    assert replies or chat.kind is ChatKind.GROUP
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


@FUZZ
@given(action=ACTIONS, which=st.integers(0, 2))
async def test_every_button_answers_random_callback_data(
    chats: list[Chat], caplog: pytest.LogCaptureFixture, action: str, which: int
) -> None:
    caplog.set_level(logging.ERROR)
    await chats[0].send("/subscribe 08:00 UTC")
    answer = await chats[which].press(action)
    assert SORRY not in answer.toast and all(SORRY not in text_of(r) for r in answer.replies), action
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


@given(text=HOSTILE)
def test_text_parsers_return_a_value_or_none(text: str) -> None:
    for parse in (parse_number, parse_time, parse_zone, parse_language, split_command, aimed_at_channel):
        parse(text)
    assert isinstance(suggest_zones(text), list)
    assert addressed_elsewhere(text, "studybot") in (True, False)


def test_digits_of_other_scripts_are_not_numbers() -> None:
    assert [parse_number(t) for t in ("12", " 7 ", "²", "١٢", "１２", "-1", "1.5", "")] == [12, 7] + [None] * 6
    assert parse_time("٠٨:٣٠") is None and parse_time("０８：３０") is not None


async def test_superscript_digits_in_a_button_or_mark_get_a_plain_answer(chats: list[Chat]) -> None:
    dm, admin = chats[0], chats[1]
    await dm.send("/subscribe 08:00 UTC")
    assert "no longer in use" in (await dm.press("done:²")).toast
    await admin.send("/subscribe 08:00 UTC")
    from bot.core.events import Incoming

    mark = Incoming(admin.address, ChatKind.GROUP, "1", "Admin", text="/mark ²", target_user_id="2",
                    target_user_name="Bo")  # fmt: skip
    assert "is not a plan day" in text_of((await admin.app.commands.handle(mark))[0])
