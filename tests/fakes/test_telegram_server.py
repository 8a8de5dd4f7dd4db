"""Tests of the fake Telegram server, driven by the real python-telegram-bot client."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dtm
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllGroupChats,
    ChatMemberAdministrator,
    ChatMemberBanned,
    ChatMemberMember,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    Message,
    Update,
)
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
)
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
)

from .telegram_objects import RateLimits
from .telegram_server import PAID_BROADCASTS_PER_SECOND, FakeTelegram, UploadedFile

pytestmark = pytest.mark.asyncio


@pytest.fixture(autouse=True)
def _retry_after_as_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    # PTB warns on every RetryAfter unless it may use timedelta already.
    monkeypatch.setenv("PTB_TIMEDELTA", "1")


KEYBOARD = InlineKeyboardMarkup([[InlineKeyboardButton("Done", callback_data="done:1")]])


def make_bot(tg: FakeTelegram, token: str | None = None) -> Bot:
    return Bot(token or tg.token, base_url=tg.base_url, base_file_url=tg.base_file_url)


def make_app(tg: FakeTelegram) -> Application[Any, Any, Any, Any, Any, Any]:
    return ApplicationBuilder().token(tg.token).base_url(tg.base_url).base_file_url(tg.base_file_url).build()


@contextlib.asynccontextmanager
async def polling(app: Application[Any, Any, Any, Any, Any, Any]) -> AsyncIterator[None]:
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=1)
        try:
            yield
        finally:
            await app.updater.stop()
            await app.stop()


async def test_get_me() -> None:
    async with FakeTelegram() as tg, make_bot(tg) as bot:
        me = await bot.get_me()
    assert (me.id, me.username, me.is_bot) == (123456, "studybot_test", True)
    assert tg.calls_of("getMe")


async def test_wrong_token_is_invalid_token() -> None:
    async with FakeTelegram() as tg:
        with pytest.raises(InvalidToken):
            async with make_bot(tg, token="999:WRONG"):
                pass
    assert tg.calls[-1].status == 401 and tg.calls[-1].failed


async def test_send_and_edit_round_trip() -> None:
    async with FakeTelegram() as tg, make_bot(tg) as bot:
        sent = await bot.send_message(42, "<b>hi</b>", parse_mode="HTML", reply_markup=KEYBOARD)
        second = await bot.send_message(42, "42")
        edited = await bot.edit_message_text("bye", chat_id=42, message_id=sent.message_id)
        with pytest.raises(BadRequest, match="not modified"):
            await bot.edit_message_text("bye", chat_id=42, message_id=sent.message_id)
        with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
            await bot.edit_message_text("x", chat_id=42, message_id=99)
        markup_only = await bot.edit_message_reply_markup(42, second.message_id, reply_markup=KEYBOARD)

    assert (sent.message_id, second.message_id) == (1, 2)
    assert sent.chat.type == "private" and sent.from_user is not None and sent.from_user.is_bot
    assert sent.reply_markup == KEYBOARD
    assert isinstance(edited, Message) and edited.text == "bye" and edited.reply_markup is None
    assert isinstance(markup_only, Message) and markup_only.reply_markup == KEYBOARD
    first, other = tg.messages(42)
    assert first["text"] == "bye" and first["edits"] == 1 and first["parse_mode"] is None
    assert other["text"] == "42"  # a numeric text stays a string
    assert other["reply_markup"] == {"inline_keyboard": [[{"text": "Done", "callback_data": "done:1"}]]}
    sends = tg.calls_of("sendMessage")
    assert sends[0].params == {
        "chat_id": 42,
        "text": "<b>hi</b>",
        "parse_mode": "HTML",
        "reply_markup": KEYBOARD.to_dict(),
    }


async def test_send_photo_keeps_bytes() -> None:
    data = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
    async with FakeTelegram() as tg, make_bot(tg) as bot:
        msg = await bot.send_photo(-1001234567890, data, caption="chart")
    assert msg.chat.type == "supergroup" and msg.caption == "chart"
    assert msg.photo[-1].file_size == len(data)
    (stored,) = tg.messages(-1001234567890)
    assert stored["photo"] == data and stored["caption"] == "chart"
    upload = tg.calls_of("sendPhoto")[0].params["photo"]
    assert isinstance(upload, UploadedFile) and upload.data == data


async def test_send_document_keeps_the_file_and_refuses_what_telegram_refuses() -> None:
    async with FakeTelegram() as tg, make_bot(tg) as bot:
        msg = await bot.send_document(42, InputFile(b'{"a": 1}', filename="export.json"), caption="your data")
        assert msg.document is not None and msg.document.file_name == "export.json" and msg.document.file_size == 8
        assert msg.caption == "your data"
        with pytest.raises(BadRequest, match="non-empty"):
            await bot.send_document(42, InputFile(b"", filename="empty.json"))
        with pytest.raises(BadRequest, match="caption is too long"):
            await bot.send_document(42, InputFile(b"x", filename="x.txt"), caption="x" * 1025)
        with pytest.raises(BadRequest, match="no document"):
            await bot._post("sendDocument", {"chat_id": 42})  # a request PTB itself never makes
    (stored,) = tg.messages(42)
    assert stored["document"] == b'{"a": 1}' and stored["document_info"]["mime_type"] == "application/json"


async def test_a_keyboard_holds_8_buttons_a_row_and_100_in_all() -> None:
    def keyboard(rows: int, per_row: int) -> InlineKeyboardMarkup:
        row = [InlineKeyboardButton(str(b), callback_data=str(b)) for b in range(per_row)]
        return InlineKeyboardMarkup([row] * rows)

    async with FakeTelegram() as tg, make_bot(tg) as bot:
        await bot.send_message(1, "ok", reply_markup=keyboard(12, 8))
        for rows, per_row in ((1, 9), (13, 8)):
            with pytest.raises(BadRequest, match=r"(?i)reply markup is too long"):
                await bot.send_message(1, "too many", reply_markup=keyboard(rows, per_row))
    assert len(tg.malformed) == 2


@pytest.mark.parametrize(
    ("chat_id", "text", "chat_type"),
    [(555, "/done read ch. 3", "private"), (-1001, "/done@studybot_test read ch. 3", "supergroup")],
)
async def test_command_reaches_handler_and_reply_is_recorded(chat_id: int, text: str, chat_type: str) -> None:
    seen: list[Update] = []

    async def done(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        seen.append(update)
        assert update.effective_message is not None
        await update.effective_message.reply_text(f"noted: {' '.join(context.args or [])}")

    async with FakeTelegram() as tg:
        app = make_app(tg)
        app.add_handler(CommandHandler("done", done))
        async with polling(app):
            update = tg.send_command(chat_id, text, user_id=77, first_name="Ada", chat_type=chat_type)
            reply = await tg.wait_for_call("sendMessage", chat_id=chat_id, timeout=3)
            await tg.wait_until(lambda: tg.pending_updates == 0)

    assert update["message"]["entities"][0]["length"] == len(text.split()[0])
    assert reply.params["text"] == "noted: read ch. 3"
    assert seen[0].effective_chat is not None and seen[0].effective_chat.type == chat_type
    assert seen[0].effective_user is not None and seen[0].effective_user.first_name == "Ada"
    assert tg.messages(chat_id)[0]["message_id"] == 2  # ids are per chat, shared with the user


async def test_button_press_reaches_callback_handler() -> None:
    async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None and query.message is not None
        await query.answer("Saved")
        await query.edit_message_text(f"pressed {query.data} on {query.message.message_id}")

    async with FakeTelegram() as tg:
        app = make_app(tg)
        app.add_handler(CallbackQueryHandler(on_button))
        async with polling(app):
            sent = await app.bot.send_message(9, "Did you study?", reply_markup=KEYBOARD)
            tg.press_button(9, sent.message_id, "done:1")
            answer = await tg.wait_for_call("answerCallbackQuery", timeout=3)
            await tg.wait_for_call("editMessageText", timeout=3)

    assert answer.params["text"] == "Saved" and not answer.failed
    assert tg.message(9, sent.message_id)["text"] == "pressed done:1 on 1"


async def test_fail_next_429_raises_retry_after() -> None:
    async with FakeTelegram() as tg, make_bot(tg) as bot:
        tg.fail_next("sendMessage", 429, retry_after=3)
        with pytest.raises(RetryAfter) as caught:
            await bot.send_message(1, "a")
        await bot.send_message(1, "b")
    assert caught.value.retry_after == dtm.timedelta(seconds=3)
    failed, ok = tg.calls_of("sendMessage")
    assert failed.failed and failed.status == 429 and not ok.failed
    assert [m["text"] for m in tg.messages(1)] == ["b"]


async def test_fail_next_403_only_for_one_chat() -> None:
    async with FakeTelegram() as tg, make_bot(tg) as bot:
        tg.fail_next("sendMessage", 403, "Forbidden: bot was blocked by the user", chat_id=5)
        await bot.send_message(6, "fine")
        with pytest.raises(Forbidden, match="blocked"):
            await bot.send_message(5, "blocked")
        await bot.send_message(5, "unblocked again")


async def test_fail_next_migrate_and_server_error() -> None:
    async with FakeTelegram() as tg, make_bot(tg) as bot:
        tg.fail_next("sendMessage", 400, "Bad Request: group chat was upgraded to a supergroup chat",
                     migrate_to_chat_id=-1009999)  # fmt: skip
        tg.fail_next("sendMessage", 500, count=2)
        with pytest.raises(ChatMigrated) as caught:
            await bot.send_message(-5, "x")
        for _ in range(2):
            with pytest.raises(NetworkError):
                await bot.send_message(-5, "x")
        await bot.send_message(-5, "x")
    assert caught.value.new_chat_id == -1009999
    assert [c.status for c in tg.calls_of("sendMessage")] == [400, 500, 500, 200]


async def test_global_rate_answers_429_beyond_it() -> None:
    async with FakeTelegram(global_rate=5) as tg, make_bot(tg) as bot:
        results = await asyncio.gather(*(bot.send_message(i, "x") for i in range(1, 9)), return_exceptions=True)
    assert sum(isinstance(r, Message) for r in results) == 5
    assert sum(isinstance(r, RetryAfter) for r in results) == 3
    assert tg.rejected_429 == 3


async def test_each_bot_token_has_its_own_rate() -> None:
    other = "654321:OTHER-token"
    async with FakeTelegram(global_rate=5, other_bots=[other]) as tg, make_bot(tg) as bot, make_bot(tg, other) as two:
        assert (await two.get_me()).id == 654321
        both = [bot.send_message(i, "x") for i in range(1, 6)] + [two.send_message(i, "x") for i in range(1, 6)]
        assert all(isinstance(r, Message) for r in await asyncio.gather(*both))  # 10 in a second: 5 per bot
        with pytest.raises(RetryAfter):
            await two.send_message(7, "x")
        with pytest.raises(InvalidToken):
            await make_bot(tg, "777:unknown-token").get_me()
    assert tg.rejected_429 == 1


async def test_paid_broadcasts_pass_the_ordinary_limit_up_to_their_own() -> None:
    async with FakeTelegram(global_rate=5, paid_rate=20) as tg, make_bot(tg) as bot:
        paid = [bot.send_message(i, "x", allow_paid_broadcast=True) for i in range(1, 21)]
        assert all(isinstance(r, Message) for r in await asyncio.gather(*paid))
        with pytest.raises(RetryAfter):
            await bot.send_message(21, "x", allow_paid_broadcast=True)
        ordinary = await asyncio.gather(*(bot.send_message(i, "x") for i in range(1, 7)), return_exceptions=True)
    assert sum(isinstance(r, Message) for r in ordinary) == 5  # paid ones do not use up the ordinary limit
    assert tg.paid_messages == 20 and tg.rejected_429 == 2
    assert [c.params.get("allow_paid_broadcast") for c in tg.calls_of("sendMessage")[:2]] == [True, True]


async def test_paid_broadcasts_are_capped_at_1000_a_second_by_default() -> None:
    # The rule itself: no client on this machine sends 1,001 messages inside one second.
    limits = RateLimits(30, None, PAID_BROADCASTS_PER_SECOND)
    answers = [limits.check("sendMessage", chat, paid=True) for chat in range(1, 1002)]
    assert answers[:1000] == [None] * 1000 and answers[1000] == 1
    assert [limits.check("sendMessage", 1) for _ in range(31)][-2:] == [None, 1]


async def test_group_rate_per_minute_spares_private_chats() -> None:
    async with FakeTelegram(group_rate_per_min=2) as tg, make_bot(tg) as bot:
        for _ in range(2):
            await bot.send_message(-100, "x")
            await bot.send_message(100, "x")
        await bot.send_message(100, "x")
        with pytest.raises(RetryAfter):
            await bot.send_message(-100, "x")
    assert tg.rejected_429 == 1


async def test_get_updates_offset_and_long_poll() -> None:
    async with FakeTelegram() as tg, make_bot(tg) as bot:
        first = tg.send_text(3, "hello")
        member_update = tg.push_update({
            "my_chat_member": {
                "chat": {"id": -7, "type": "group", "title": "Study group"},
                "from": {"id": 3, "is_bot": False, "first_name": "Ada"},
                "date": 0,
                "old_chat_member": {"status": "left", "user": tg.bot_user},
                "new_chat_member": {"status": "member", "user": tg.bot_user},
            }
        })  # fmt: skip
        updates = await bot.get_updates()
        assert [u.update_id for u in updates] == [first["update_id"], member_update["update_id"]]
        assert updates[1].my_chat_member is not None
        assert await bot.get_updates(offset=member_update["update_id"] + 1) == ()
        assert tg.pending_updates == 0

        poll = asyncio.create_task(bot.get_updates(timeout=2))
        await tg.wait_for_call("getUpdates", lambda c: c.params.get("timeout") == 2)
        pushed = tg.send_command(3, "/start")
        (got,) = await asyncio.wait_for(poll, 1)
        assert got.update_id == pushed["update_id"] == member_update["update_id"] + 1


async def test_commands_members_and_chat() -> None:
    async with FakeTelegram() as tg, make_bot(tg) as bot:
        await bot.set_my_commands([BotCommand("done", "Log a session")])
        await bot.set_my_commands(
            [BotCommand("stats", "Group stats")],
            scope=BotCommandScopeAllGroupChats(),
            language_code="de",
        )
        tg.set_member_status(-10, 1, "administrator")
        tg.set_member_status(-10, 2, "kicked")
        admin = await bot.get_chat_member(-10, 1)
        kicked = await bot.get_chat_member(-10, 2)
        member = await bot.get_chat_member(-10, 3)
        tg.set_chat(-10, type="group", title="Study group")
        chat = await bot.get_chat(-10)
        default_commands = await bot.get_my_commands()
    assert [c.command for c in default_commands] == ["done"]
    assert tg.commands({"type": "all_group_chats"}, "de") == [{"command": "stats", "description": "Group stats"}]
    assert isinstance(admin, ChatMemberAdministrator)
    assert isinstance(kicked, ChatMemberBanned)
    assert isinstance(member, ChatMemberMember)
    assert (chat.type, chat.title) == ("group", "Study group")


async def test_get_query_json_body_and_unknown_method() -> None:
    async with FakeTelegram() as tg, aiohttp.ClientSession() as http:
        url = f"{tg.base_url}{tg.token}"
        async with http.get(f"{url}/sendMessage", params={"chat_id": "8", "text": "q"}) as resp:
            assert (await resp.json())["result"]["chat"]["id"] == 8
        async with http.post(f"{url}/sendMessage", json={"chat_id": 8, "text": "j"}) as resp:
            assert (await resp.json())["result"]["message_id"] == 2
        async with http.post(f"{url}/setMessageReaction", data={"chat_id": "8"}) as resp:
            assert await resp.json() == {"ok": True, "result": True}
    assert [m["text"] for m in tg.messages(8)] == ["q", "j"]
    assert tg.calls_of("setMessageReaction")[0].params == {"chat_id": 8}


async def test_wait_for_call_returns_each_call_once() -> None:
    async with FakeTelegram() as tg, make_bot(tg) as bot:
        await bot.send_message(1, "one")
        await bot.send_message(2, "other chat")
        waiter = asyncio.create_task(tg.wait_for_call("sendMessage", chat_id=1))
        first = await tg.wait_for_call("sendMessage", chat_id=1)
        await bot.send_message(1, "two")
        second = await waiter
        with pytest.raises(TimeoutError):
            await tg.wait_for_call("sendMessage", chat_id=1, timeout=0.05)
    assert {first.params["text"], second.params["text"]} == {"one", "two"}


async def test_record_messages_false_keeps_counts_only() -> None:
    async with FakeTelegram(record_messages=False) as tg, make_bot(tg) as bot:
        for _ in range(20):
            await bot.send_message(1, "x")
        await bot.edit_message_text("y", chat_id=1, message_id=5)
    assert tg.counts["sendMessage"] == 20 and tg.counts["editMessageText"] == 1
    assert tg.calls == [] and tg.messages(1) == []


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("<b>bold", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b>bold</i>", 'Unmatched end tag, expected "</b>", found "</i>"'),
        ("<blink>hi</blink>", 'Unsupported start tag "blink"'),
        ("a < b", "Unsupported start tag"),
        ("cut inside a tag <", "Unsupported start tag"),
        ("</i>", 'Unexpected end tag "i"'),
        ('<span class="x">s</span>', 'Tag "span" must have class "tg-spoiler"'),
    ],
)
async def test_html_that_telegram_cannot_parse_is_refused(text: str, problem: str) -> None:
    async with FakeTelegram() as tg, make_bot(tg) as bot:
        with pytest.raises(BadRequest, match="parse entities") as caught:
            await bot.send_message(1, text, parse_mode="HTML")
        sent = await bot.send_message(1, "<b>A &amp; B</b> &lt;3 & <i>more</i> &#128512;", parse_mode="HTML")
        with pytest.raises(BadRequest, match="parse entities"):
            await bot.edit_message_text(text, chat_id=1, message_id=sent.message_id, parse_mode="HTML")
    assert problem.lower() in caught.value.message.lower()
    assert [(c.method, c.status) for c in tg.malformed] == [("sendMessage", 400), ("editMessageText", 400)]


async def test_lengths_count_the_text_after_parsing_in_utf16_units() -> None:
    async with FakeTelegram() as tg, make_bot(tg) as bot:
        # 4,096 visible characters may take far more HTML: each &amp; is one character.
        await bot.send_message(1, "&amp;" * 4096, parse_mode="HTML")
        with pytest.raises(BadRequest, match="too long"):
            await bot.send_message(1, "😀" * 2049)  # two units each: 4,098
        with pytest.raises(BadRequest, match="too long"):
            await bot.send_message(1, "<b>" + "x" * 4097 + "</b>", parse_mode="HTML")
        with pytest.raises(BadRequest, match="caption is too long"):
            await bot.send_photo(1, b"\x89PNG", caption="x" * 1025)
        await bot.send_photo(1, b"\x89PNG", caption="x" * 1024)
        with pytest.raises(BadRequest, match="text is empty"):
            await bot.send_message(1, "<b> </b>", parse_mode="HTML")
        with pytest.raises(BadRequest, match=r"(?i)unsupported parse_mode"):
            await bot.send_message(1, "x", parse_mode="html5")
    assert len(tg.malformed) == 5


async def test_buttons_toasts_and_commands_obey_telegrams_limits() -> None:
    async with FakeTelegram() as tg, make_bot(tg) as bot:
        for data in ("x" * 65, "é" * 33):  # 65 bytes, 66 bytes
            markup = InlineKeyboardMarkup([[InlineKeyboardButton("Go", callback_data=data)]])
            with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
                await bot.send_message(1, "x", reply_markup=markup)
        await bot.send_message(
            1, "x", reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("Go", callback_data="é" * 32)]])
        )
        with pytest.raises(BadRequest, match=r"(?i)bot_command_invalid"):
            await bot.set_my_commands([BotCommand("Done", "Log a session")])
        with pytest.raises(BadRequest, match="description"):
            await bot.set_my_commands([BotCommand("done", "x" * 257)])
        sent = await bot.send_message(9, "Did you study?", reply_markup=KEYBOARD)
        tg.press_button(9, sent.message_id, "done:1")
        query_id = tg.unanswered_callbacks.pop()
        with pytest.raises(BadRequest, match=r"(?i)message_too_long"):
            await bot.answer_callback_query(query_id, "x" * 201)
        assert await bot.answer_callback_query(query_id, "x" * 200)
    assert len(tg.malformed) == 5 and tg.unanswered_callbacks == set()


async def test_chat_member_updates_come_only_when_asked_for() -> None:
    def change(kind: str) -> dict[str, Any]:
        return {kind: {"chat": {"id": -7, "type": "supergroup", "title": "G"}, "date": 0,
                       "from": {"id": 3, "is_bot": False, "first_name": "Ada"},
                       "old_chat_member": {"status": "administrator", "user": {"id": 5, "is_bot": False,
                                                                                "first_name": "Bo"},
                                           "can_be_edited": False, "is_anonymous": False, "can_manage_chat": True,
                                           "can_delete_messages": True, "can_manage_video_chats": True,
                                           "can_restrict_members": True, "can_promote_members": False,
                                           "can_change_info": True, "can_invite_users": True,
                                           "can_post_stories": False, "can_edit_stories": False,
                                           "can_delete_stories": False},
                       "new_chat_member": {"status": "member", "user": {"id": 5, "is_bot": False,
                                                                         "first_name": "Bo"}}}}  # fmt: skip

    async with FakeTelegram() as tg, make_bot(tg) as bot:
        tg.push_update(change("chat_member"))
        text = tg.send_text(3, "hello")
        assert [u.update_id for u in await bot.get_updates()] == [text["update_id"]]  # by default: not sent at all
        wanted = tg.push_update(change("chat_member"))
        updates = await bot.get_updates(offset=text["update_id"] + 1, allowed_updates=["message", "chat_member"])
        assert [u.update_id for u in updates] == [wanted["update_id"]] and updates[0].chat_member is not None
        tg.send_text(3, "kept between calls")
        tg.push_update(change("my_chat_member"))  # not in the list asked for last time
        later = await bot.get_updates(offset=wanted["update_id"] + 1)
        assert [u.message.text for u in later if u.message] == ["kept between calls"] and len(later) == 1


async def test_a_press_on_an_inline_message_has_no_message() -> None:
    async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None and query.message is None and query.inline_message_id == "AAQ1"
        await query.answer("Seen")

    async with FakeTelegram() as tg:
        app = make_app(tg)
        app.add_handler(CallbackQueryHandler(on_button))
        async with polling(app):
            tg.press_inline_button("AAQ1", "done:1", user_id=8)
            answer = await tg.wait_for_call("answerCallbackQuery", timeout=3)
    assert answer.params["text"] == "Seen" and tg.unanswered_callbacks == set()
