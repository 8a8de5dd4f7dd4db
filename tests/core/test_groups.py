"""Studying together: group pushes with live counts, leaderboards, admin corrections, summaries, privacy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.bootstrap import App
from bot.core.clock import ManualClock
from bot.core.events import Incoming
from bot.core.model import Address, ChatKind
from bot.core.replies import PictureReply, TextReply, TopicCard
from curriculum.loader import Curriculum
from tests.support import Chat, RecordingGateway, text_of

DAY = timedelta(days=1)


def member(app: App, group: str, user: str, name: str) -> Chat:
    return Chat(app, chat_id=group, user_id=user, user_name=name, kind=ChatKind.GROUP)


async def group_with_admin(app: App, group: str = "-1", admin: str = "1") -> RecordingGateway:
    gateway = app.gateways.get("test")
    if not isinstance(gateway, RecordingGateway):
        gateway = RecordingGateway()
        app.gateways.connected(gateway)
    gateway.admins.add((group, admin))
    reply = await member(app, group, admin, "Admin").say("/subscribe 08:00 UTC")
    assert "Subscribed" in reply and "on its way" in reply  # a group's topic comes as a push, not a reply
    return gateway


async def test_group_topic_is_pushed_and_its_card_counts_who_is_done(app: App, clock: ManualClock) -> None:
    gateway = await group_with_admin(app)
    await app.delivery.run_pass(clock.now() + timedelta(seconds=1))
    card = gateway.cards_to("-1")[0]
    assert card.plan_day == 1 and "Each of you" in card.footer
    for user, name in (("2", "Ada"), ("3", "Bo")):
        assert "Day 1 done" in await member(app, "-1", user, name).say("/done")
    await member(app, "-1", "2", "Ada").press("done:1")  # a second tap changes nothing
    assert await app.live.flush() == 1  # two members, one edit
    chat_id, message_id, edited = gateway.edits[-1]
    assert chat_id == "-1" and message_id == "1"
    assert isinstance(edited, TopicCard) and "Done so far (2): Ada, Bo" in edited.footer
    assert await app.live.flush() == 0


async def test_leaderboard_ranks_this_week_and_all_time(app: App, clock: ManualClock) -> None:
    await group_with_admin(app)
    ada, bo = member(app, "-1", "2", "Ada"), member(app, "-1", "3", "Bo")
    for _ in range(3):
        await ada.say("/done")
        clock.advance(DAY)
    await bo.say("/done")
    board = await bo.say("/leaderboard")
    assert board.index("🥇 Ada · 3/7 · 🔥 3") < board.index("🥈 Bo · 1/7 · 🔥 1")
    assert "1. Ada · 3 days" in board and "2. Bo · 1 day" in board


async def test_groups_do_not_see_each_others_members(app: App, clock: ManualClock) -> None:
    gateway = await group_with_admin(app, "-1", "1")
    gateway.admins.add(("-2", "1"))
    await member(app, "-2", "1", "Admin").say("/subscribe 08:00 UTC")
    await member(app, "-1", "2", "Ada").say("/done")
    await member(app, "-2", "3", "Cy").say("/done")
    board_two = await member(app, "-2", "3", "Cy").say("/leaderboard")
    assert "Cy" in board_two and "Ada" not in board_two
    members_two = await member(app, "-2", "1", "Admin").say("/members")
    assert "Cy" in members_two and "Ada" not in members_two


async def test_group_days_count_for_a_personal_streak_once_per_day(app: App, clock: ManualClock) -> None:
    await group_with_admin(app)
    dm = Chat(app, chat_id="2", user_id="2", user_name="Ada")
    await dm.say("/subscribe 08:00 UTC")
    await member(app, "-1", "2", "Ada").say("/done")  # day 1 in the group
    clock.advance(DAY)
    await dm.say("/done")  # day 2 in her DM
    await member(app, "-1", "2", "Ada").say("/done")  # and in the group, the same day
    clock.advance(DAY)
    assert "Streak: 2 days" in await dm.say("/streak")  # two days, not three completions
    assert "Done 1/140" in await dm.say("/progress")  # the DM's own plan counts its own days


async def test_admin_corrects_a_members_day_and_members_shows_the_trail(app: App, clock: ManualClock) -> None:
    await group_with_admin(app)
    clock.advance(DAY)
    admin = Incoming(member(app, "-1", "1", "Eve").address, ChatKind.GROUP, "1", "Eve", text="/mark 1",
                     target_user_id="3", target_user_name="Bo")  # fmt: skip
    replies = await app.commands.handle(admin)
    assert "Marked day 1 done for Bo" in text_of(replies[0])
    again = await app.commands.handle(admin)
    assert "Nothing to change" in text_of(again[0])
    undo = Incoming(admin.address, ChatKind.GROUP, "1", "Eve", text="/unmark 1", target_user_id="3",
                    target_user_name="Bo")  # fmt: skip
    assert "Unmarked day 1 for Bo" in text_of((await app.commands.handle(undo))[0])
    future = Incoming(admin.address, ChatKind.GROUP, "1", "Eve", text="/mark 9", target_user_id="3",
                      target_user_name="Bo")  # fmt: skip
    assert "not a day this group has reached" in text_of((await app.commands.handle(future))[0])
    await app.commands.handle(admin)
    overview = await member(app, "-1", "1", "Eve").say("/members")
    assert "Bo: 1 day ·" in overview  # one day, not "1 days"
    assert "Eve marked day 1 done for Bo" in overview and "Eve unmarked day 1 for Bo" in overview
    # A member can neither correct others nor read the overview.
    bo = Incoming(admin.address, ChatKind.GROUP, "3", "Bo", text="/mark 2", target_user_id="4", target_user_name="Di")
    assert "Only this group's admins" in text_of((await app.commands.handle(bo))[0])
    assert "Only this group's admins" in await member(app, "-1", "3", "Bo").say("/members")
    no_target = await member(app, "-1", "1", "Eve").say("/mark 1")
    assert "Reply to a message of the member" in no_target


async def test_weekly_summary_reaches_the_group_once_at_its_week_boundary(app: App, clock: ManualClock) -> None:
    gateway = RecordingGateway()
    app.gateways.connected(gateway)
    gateway.admins.add(("-1", "1"))
    await member(app, "-1", "1", "Admin").say("/subscribe 09:00 Asia/Tokyo")  # 09:00 JST = 00:00 UTC
    ada = member(app, "-1", "2", "Ada")
    instant = clock.now()
    for _ in range(7):
        await app.delivery.run_pass(instant + timedelta(seconds=1))
        clock.set(instant + timedelta(hours=2))
        await ada.say("/done")
        instant += DAY
    assert [c.plan_day for c in gateway.cards_to("-1")] == [1, 2, 3, 4, 5, 6, 7]
    assert not any(isinstance(r, PictureReply) for _, r in gateway.sent)
    await app.delivery.run_pass(instant)  # day 8, 09:00 in Tokyo: week 1 is over
    await app.delivery.run_pass(instant + timedelta(minutes=1))
    sent = [r for _, r in gateway.sent[-3:]]
    assert isinstance(sent[0], TextReply) and "Week 1 wrap-up" in sent[0].text
    assert "Ada: 7/7" in sent[0].text and "Longest streaks: Ada 7" in sent[0].text and "week 2" in sent[0].text
    assert isinstance(sent[1], PictureReply) and sent[1].png.startswith(b"\x89PNG")
    assert isinstance(sent[2], TopicCard) and sent[2].plan_day == 8
    assert sum("wrap-up" in text_of(r) for _, r in gateway.sent) == 1


async def test_pause_and_resume_where_the_group_left_off(app: App, clock: ManualClock) -> None:
    gateway = await group_with_admin(app)
    admin = member(app, "-1", "1", "Admin")
    await app.delivery.run_pass(clock.now())
    assert "Only this group's admins" in await member(app, "-1", "2", "Ada").say("/pause")
    assert "Paused" in await admin.say("/pause")
    assert (await app.delivery.run_pass(datetime(2026, 3, 3, 8, 0, tzinfo=UTC))).claimed == 0
    clock.set(datetime(2026, 3, 10, 7, 0, tzinfo=UTC))
    assert "Resumed" in await admin.say("/resume")
    await app.delivery.run_pass(clock.now())
    assert [c.plan_day for c in gateway.cards_to("-1")] == [1, 2]  # day 2 after the break, not day 9


async def test_forget_needs_an_admins_tap_and_deletes_everything(app: App, clock: ManualClock) -> None:
    await group_with_admin(app)
    await member(app, "-1", "2", "Ada").say("/done")
    admin = Chat(app, chat_id="-1", user_id="1", user_name="Admin", kind=ChatKind.GROUP)
    asked = Incoming(admin.address, ChatKind.GROUP, "1", "Admin", text="/forget", chat_title="Night Owls")
    [question] = await app.commands.handle(asked)
    assert isinstance(question, TextReply) and question.private
    assert "everything stored about “Night Owls”" in question.text  # the confirmation names the chat
    [button] = question.buttons
    assert button.action == "forget:-1:1"  # what it deletes, and who may confirm
    refused = await member(app, "-1", "2", "Ada").press(button.action)
    assert "Only the person who asked" in refused.toast
    assert "no longer in use" in (await admin.press("forget:yes")).toast  # a button from before this change
    answer = await admin.press(button.action)
    assert "Forgotten" in answer.toast and "Everything about this chat is deleted" in text_of(answer.replies[0])
    assert "not subscribed" in await admin.say("/settings")
    assert "no leaderboard" in await member(app, "-1", "2", "Ada").say("/leaderboard")


async def test_forget_of_a_channel_asked_in_a_dm_deletes_the_channel_not_the_dm(app: App) -> None:
    gateway = RecordingGateway()
    app.gateways.connected(gateway)
    gateway.admins.add(("-900", "1"))
    dm = Chat(app, chat_id="1", user_id="1", user_name="Eve")
    await dm.say("/subscribe 08:00 UTC")  # Eve's own plan, in her DM
    channel = Address("test", "-900")
    # What the Telegram adapter makes of "/subscribe @dailypy" and "/forget @dailypy" typed in Eve's DM.
    for text in ("/subscribe 07:00 UTC", "/forget"):
        aimed = Incoming(
            channel, ChatKind.CHANNEL, "1", "Eve", "en", text=text, is_admin=True, chat_title="Daily Python"
        )
        replies = await app.commands.handle(aimed)
    [question] = replies
    assert isinstance(question, TextReply) and "“Daily Python”" in question.text
    [button] = question.buttons
    assert button.action == "forget:-900:1"
    gateway.admins.discard(("-900", "1"))  # demoted before she taps: the press is checked again
    assert "Only this group's admins" in (await dm.press(button.action)).toast
    gateway.admins.add(("-900", "1"))
    answer = await dm.press(button.action)  # pressed in the DM, where the answer came
    assert "Everything about that chat is deleted. This chat is unchanged." in text_of(answer.replies[0])
    assert await app.learners.chat(channel) is None
    assert "Status: subscribed" in await dm.say("/settings")  # her own DM is untouched


async def test_every_button_answering_a_command_aimed_at_a_channel_names_that_channel(app: App) -> None:
    """The audit: a reply to a command about another chat lands in the asker's DM, so any button on it must carry
    the chat it acts on (a bare action would act on the DM it is pressed in)."""
    gateway = RecordingGateway()
    app.gateways.connected(gateway)
    channel = Address("test", "-900")
    from bot.adapters.telegram.channels import MANAGED

    for name in ("subscribe", *MANAGED):
        aimed = Incoming(channel, ChatKind.CHANNEL, "1", "Eve", "en", text=f"/{name}", is_admin=True, chat_title="Py")
        for reply in await app.commands.handle(aimed):
            for button in getattr(reply, "buttons", ()):
                assert ":-900:" in button.action, (name, button)


async def test_a_member_forgets_their_own_record_in_a_group(app: App, clock: ManualClock) -> None:
    await group_with_admin(app)
    await app.delivery.run_pass(clock.now())
    ada, bo = member(app, "-1", "2", "Ada"), member(app, "-1", "3", "Bo")
    await ada.say("/done first day")
    await bo.say("/done")
    clock.advance(DAY)
    await ada.say("/done")
    await app.live.flush()
    [question] = await ada.send("/forget me")
    assert isinstance(question, TextReply) and question.private and "your own record" in question.text
    [button] = question.buttons
    assert button.action == "forgetme:-1:2"
    assert "Only the person who asked" in (await bo.press(button.action)).toast
    answer = await ada.press(button.action)
    assert "2 days done, with their notes" in text_of(answer.replies[0])
    board = await bo.say("/leaderboard")
    assert "Bo" in board and "Ada" not in board  # the group and Bo's record stay
    assert "Status: subscribed" in await bo.say("/settings")
    assert "Only this group's admins can forget the whole group" in await bo.say("/forget")
    assert await app.live.flush() == 1  # day 1's push: "done so far" is edited without her
    gateway = app.gateways.get("test")
    assert isinstance(gateway, RecordingGateway)
    edited = gateway.edits[-1][2]
    assert isinstance(edited, TopicCard) and "Done so far (1): Bo" in edited.footer


async def test_help_shows_each_chat_the_commands_that_work_there(app: App) -> None:
    dm_help = await Chat(app).say("/help")
    for command in ("/subscribe", "/done", "/pause", "/forget", "/settings"):
        assert f"\n{command} — " in dm_help, command
    for command in ("/members", "/mark", "/unmark", "/leaderboard"):
        assert f"\n{command} — " not in dm_help, command
    assert "What I keep about you" in dm_help
    group_help = await member(app, "-1", "2", "Ada").say("/help")
    everyone, admins = group_help.split("For this group's admins:")
    assert "/leaderboard — " in everyone and "/forget — /forget me: delete only your own" in everyone
    assert "/subscribe — " not in everyone and "/members — " in admins and "/pause — " in admins
    assert "What I keep" in admins and "/forget me deletes only your own days" in admins


async def test_the_last_week_is_wrapped_up_when_the_plan_is_over(
    app: App, clock: ManualClock, curriculum: Curriculum
) -> None:
    gateway = await group_with_admin(app)
    ada = member(app, "-1", "2", "Ada")
    last = datetime(2026, 3, 2, 8, 0, tzinfo=UTC) + (curriculum.total_days - 1) * DAY
    clock.set(last - DAY - timedelta(hours=1))
    await app.delivery.run_pass()  # back after a long pause: the push of the plan's second-to-last day is next
    for instant in (last - DAY, last):
        await app.delivery.run_pass(instant)
        clock.set(instant + timedelta(hours=1))
        await ada.say("/done")
    assert [c.plan_day for c in gateway.cards_to("-1")][-2:] == [curriculum.total_days - 1, curriculum.total_days]
    report = await app.delivery.run_pass(last + DAY)  # the day after the last: no topic, the final wrap-up
    await app.delivery.run_pass(last + DAY + timedelta(minutes=1))
    assert report.finished == 1 and report.sent == 0
    wrap_ups = [r for _, r in gateway.sent if f"Week {curriculum.total_weeks} wrap-up" in text_of(r)]
    assert len(wrap_ups) == 1
    text = text_of(wrap_ups[0])
    assert "Ada: 2/7" in text and "last week" in text and "Next up" not in text
    assert isinstance(gateway.sent[-1][1], PictureReply)
    assert (await app.delivery.run_pass(last + 2 * DAY)).claimed == 0


async def test_mark_hints_follow_how_the_platform_names_the_member(app: App, clock: ManualClock) -> None:
    await group_with_admin(app)
    address = member(app, "-1", "1", "Eve").address
    by_reply = Incoming(
        address, ChatKind.GROUP, "1", "Eve", text="/mark twelve", target_user_id="3", target_user_name="Bo"
    )
    wrong = text_of((await app.commands.handle(by_reply))[0])
    assert "“twelve” is not a plan day" in wrong and "reply to one of their messages" in wrong
    by_option = Incoming(address, ChatKind.GROUP, "1", "Eve", text="/mark twelve", target_user_id="3",
                         target_user_name="Bo", member_option=True)  # fmt: skip
    picked = text_of((await app.commands.handle(by_option))[0])
    assert "choose the member" in picked and "reply" not in picked
    assert "work in a group" in await Chat(app, chat_id="1", user_id="1").say("/mark 1")


async def test_today_in_a_group_keeps_the_done_button_and_is_only_for_the_asker(app: App, clock: ManualClock) -> None:
    await group_with_admin(app)
    ada = member(app, "-1", "2", "Ada")
    await ada.say("/done")
    replies = await ada.send("/today")
    card = replies[-1]
    assert isinstance(card, TopicCard) and card.plan_day == 1 and card.private
    assert [b.action for b in card.buttons][:1] == ["done:1"]  # Bo, who has not finished, can still tap it


async def test_a_member_who_studies_only_in_groups_has_a_streak_in_their_dm(app: App, clock: ManualClock) -> None:
    await group_with_admin(app, group="-1")
    await group_with_admin(app, group="-2")
    bo_dm = Chat(app, chat_id="3", user_id="3", user_name="Bo")
    assert "No streak yet" in await bo_dm.say("/streak")
    await member(app, "-1", "3", "Bo").say("/done")
    clock.set(clock.now() + DAY)
    await member(app, "-2", "3", "Bo").say("/done 2")  # another group, the next day
    await member(app, "-1", "3", "Bo").say("/done 2")  # the same day in the first group counts once
    streak = await bo_dm.say("/streak")
    assert "Streak: 2 days (longest 2)" in streak and "in your groups" in streak and "/subscribe here" in streak
    assert "Today is not done" not in streak


async def test_a_members_subscribe_button_in_a_group_is_refused_without_a_success_toast(app: App) -> None:
    gateway = RecordingGateway()
    app.gateways.connected(gateway)
    answer = await member(app, "-1", "2", "Bo").press("subscribe")
    assert "Subscribed" not in answer.toast
    assert any("Only this group's admins" in text_of(r) for r in answer.replies)
    gateway.admins.add(("-1", "1"))
    assert "Subscribed" in (await member(app, "-1", "1", "Admin").press("subscribe")).toast


async def test_every_refusal_and_answer_to_bad_input_is_for_the_asker_alone(app: App, clock: ManualClock) -> None:
    """Platforms that can show a message to one member (Discord) show these only to whoever typed them."""
    await group_with_admin(app)
    admin, ada = member(app, "-1", "1", "Admin"), member(app, "-1", "2", "Ada")
    bad = [(admin, ["/time 25:99", "/time", "/timezone Mars/Base", "/timezone", "/lang klingon", "/subscribe 8am",
                    "/subscribe 07:00 UTC+5:31", "/resume", "/mark", "/mark 3", "/frobnicate", "/forget everything"]),
           (ada, ["/time 09:00", "/pause", "/members", "/done " + "x" * 600, "/forget"])]  # fmt: skip
    for chat, texts in bad:
        for text in texts:
            replies = await chat.send(text)
            assert replies and all(r.private for r in replies), (text, replies)
    await admin.say("/pause")
    assert all(r.private for r in await admin.send("/pause"))
