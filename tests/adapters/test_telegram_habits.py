"""Telegram end to end for a learner's own features: the data export as a document, the catch-up list's buttons
(rows that fit Telegram's keyboards, edited in place as days are marked), and the menus."""

from __future__ import annotations

import json

from bot.adapters.telegram import TelegramAdapter
from bot.bootstrap import App
from bot.core.clock import ManualClock
from tests.adapters.test_telegram import ADA, buttons, say, text_of
from tests.core.test_habits import at
from tests.fakes.telegram_server import FakeTelegram, UploadedFile


async def test_export_arrives_as_a_json_document(app: App, telegram: TelegramAdapter, tg: FakeTelegram) -> None:
    await say(tg, "/subscribe 08:00 UTC")
    await tg.wait_for_call("sendMessage", chat_id=ADA)  # day 1
    await say(tg, "/done read the docs")
    tg.send_command(ADA, "/export", user_id=ADA, first_name="Ada")
    sent = await tg.wait_for_call("sendDocument", chat_id=ADA)
    document = sent.params["document"]
    assert isinstance(document, UploadedFile) and document.filename == "studybot-export-2026-03-02.json"
    data = json.loads(document.data)
    assert data["platform"] == "telegram" and data["user_id"] == str(ADA)
    assert [(c["plan_day"], c["note"]) for c in data["completions"]] == [(1, "read the docs")]
    assert "1 days done, 1 notes" in str(sent.params["caption"])


async def test_catchup_buttons_mark_days_and_the_list_is_edited(
    app: App, telegram: TelegramAdapter, tg: FakeTelegram, clock: ManualClock
) -> None:
    await say(tg, "/subscribe 08:00 UTC")
    await tg.wait_for_call("sendMessage", chat_id=ADA)
    clock.set(at(8, 9))  # day 7: six days to catch up
    listing = await say(tg, "/catchup")
    assert "6 days to catch up" in text_of(listing)
    rows = listing.params["reply_markup"]["inline_keyboard"]
    assert [len(row) for row in rows] == [4, 4, 4]  # two days to a row: 📖 and ✅ for each
    assert buttons(listing)[:2] == ["open:1", f"catchup:1:{ADA}"]
    message_id = int(tg.messages(ADA)[-1]["message_id"])
    tg.press_button(ADA, message_id, f"catchup:3:{ADA}", user_id=ADA)
    toast = await tg.wait_for_call("answerCallbackQuery")
    assert "Day 3 done" in str(toast.params["text"])
    edited = await tg.wait_for_call("editMessageText", chat_id=ADA)
    assert "5 days to catch up" in text_of(edited) and f"catchup:3:{ADA}" not in buttons(edited)
    tg.press_button(ADA, message_id, "open:2", user_id=ADA)
    card = await tg.wait_for_call("sendMessage", chat_id=ADA)
    assert "Day 2/140" in text_of(card) and buttons(card) == ["done:2", "week"]


async def test_the_menus_hold_the_new_commands_where_they_work(telegram: TelegramAdapter, tg: FakeTelegram) -> None:
    def menu(scope: str) -> set[str]:
        return {c["command"] for c in tg.commands({"type": scope})}

    own = {"pace", "nudge", "export"}
    assert own | {"catchup", "notes", "days", "pause", "goto", "restart"} <= menu("default")
    assert menu("all_group_chats") & own == set() and {"catchup", "notes"} <= menu("all_group_chats")
    assert {"days", "goto", "restart", "pause"} <= menu("all_chat_administrators")
