"""The entry point for inbound chat traffic: routes typed commands and button presses to their handlers."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace

from bot.core import forgetting, habits, render
from bot.core.chats import Chats
from bot.core.dashboard_command import DASHBOARD_HANDLERS
from bot.core.events import Context, Incoming, Press
from bot.core.gateways import Gateways
from bot.core.group_handlers import GROUP_HANDLERS
from bot.core.groups import Groups
from bot.core.habit_handlers import HABIT_HANDLERS, catchup_list
from bot.core.handlers import HANDLERS, pushed_card
from bot.core.i18n import Messages, language_from_hint, messages
from bot.core.learner import DoneOutcome, Learners
from bot.core.links import SignInLinks
from bot.core.metering import NO_METER, Meter
from bot.core.model import Address, ChatKind, Subscription, started
from bot.core.parsing import parse_number, split_command
from bot.core.replies import ButtonAnswer, Reply, TextReply

log = logging.getLogger(__name__)
ALL_HANDLERS = {**HANDLERS, **GROUP_HANDLERS, **HABIT_HANDLERS, **DASHBOARD_HANDLERS}


def _sorry(m: Messages) -> str:
    return m._("Sorry, something went wrong on my side. Please try again in a minute.")


class Commands:
    """What every adapter calls: `handle` for a typed message, `press` for a button, and what the platform says
    about a chat (`chat_gone`, `chat_back`, `chat_moved`)."""

    def __init__(self, learners: Learners, gateways: Gateways | None = None, meter: Meter = NO_METER) -> None:
        self.learners = learners
        # Counts what is handled, by command; the adapters report the time each answer took through it too.
        self.meter = meter
        self.curriculum = learners.curriculum
        # Admin checks go to the connected platform's gateway.
        self.gateways = gateways if gateways is not None else Gateways()
        self.chats = Chats(learners.store, learners.clock)
        self.groups = Groups(learners)
        # The dashboard's sign-in links (/dashboard); None where it is not set up.
        self.links: SignInLinks | None = None

    async def chat_language(self, address: Address, hint: str | None) -> str:
        """The language a chat's answers are in: its own once set, else what the platform says of the person."""
        return self.language(await self.learners.chat(address), hint)

    async def chat_gone(self, address: Address) -> None:
        """The platform says the bot was blocked, kicked or the chat deleted."""
        await self.chats.gone(address)

    async def chat_back(self, address: Address) -> bool:
        """The bot can reach a chat it had been cut off from; True if its pushes were on and are again."""
        return await self.learners.reactivate(address)

    async def chat_moved(self, address: Address, new_chat_id: str) -> None:
        """The platform gave the chat a new id."""
        await self.chats.moved(address, new_chat_id)

    async def is_admin(self, address: Address, user_id: str) -> bool:
        """Whether the person administers the chat, as its platform says now (the dashboard asks on every request)."""
        return await self._admin_check(address, user_id)()

    def _admin_check(self, address: Address, user_id: str) -> Callable[[], Awaitable[bool]]:
        async def check() -> bool:
            gateway = self.gateways.get(address.platform)
            return gateway is not None and await gateway.is_admin(address.chat_id, user_id)

        return check

    @staticmethod
    def language(sub: Subscription | None, hint: str | None) -> str:
        return sub.language if sub else language_from_hint(hint)

    async def handle(self, incoming: Incoming) -> list[Reply]:
        command = split_command(incoming.text)
        if command is None and incoming.kind is not ChatKind.PRIVATE:
            # In a group people talk to each other; answering every line would be noise.
            return []
        name = "text" if command is None else command.name if command.name in ALL_HANDLERS else "unknown"
        self.meter.command(incoming.address.platform, name)
        try:
            # The one lookup of the chat per command: handlers read it from the context.
            sub = await self.learners.chat(incoming.address)
        except Exception:
            log.exception("looking up %s failed", incoming.address)
            return [TextReply(_sorry(messages(language_from_hint(incoming.language_hint))))]
        m = messages(self.language(sub, incoming.language_hint))
        ctx = Context(incoming, sub, m, self._admin_check(incoming.address, incoming.user_id), self.groups,
                      links=self.links)  # fmt: skip
        if command is None:
            ctx.say(ctx.m._("I understand commands, not chat. Send /help to see them."))
            return ctx.replies
        handler = ALL_HANDLERS.get(command.name)
        if handler is None:
            ctx.refuse(ctx.m._("I don't know /{name}. Send /help to see what I can do.", name=command.name[:32]))
            return ctx.replies
        ctx.args = command.args
        try:
            await handler(self.learners, ctx)
            await self._tell_posting_problem(ctx)
            await self._tell_freezes(ctx)
        except Exception:
            # The user sees one calm sentence; the trace goes to the operator's log.
            log.exception("command /%s failed in %s", command.name, incoming.address)
            return [TextReply(_sorry(ctx.m))]
        return ctx.replies

    async def _tell_posting_problem(self, ctx: Context) -> None:
        """While pushes cannot be posted in a chat (the bot was muted, lost its permissions), each admin who
        speaks to the bot about it hears how to fix it."""
        if ctx.sub is None or ctx.sub.post_problem is None:
            return
        sub = await self.learners.chat(ctx.incoming.address)  # as the command left it (/unsubscribe, /forget)
        if sub is None or not sub.active or sub.post_problem is None or not await ctx.is_admin():
            return
        ctx.say(render.posting_problem(ctx.m, sub.post_problem), private=True)

    async def _tell_freezes(self, ctx: Context) -> None:
        """The first answer in a DM after a freeze covered a missed day says so, once (unless a push said it)."""
        inc = ctx.incoming
        if ctx.in_group or not started(ctx.sub) or ctx.sub.owner_id not in (None, inc.user_id):
            return
        found = await self.learners.progress(inc.address, inc.user_id)
        if found is None:
            return
        if news := await self.learners.freeze_news(found[0], found[1]):
            ctx.replies.insert(0, TextReply(render.freeze_note(ctx.m, found[1], news)))

    async def press(self, press: Press) -> ButtonAnswer:
        try:
            sub = await self.learners.chat(press.address)
        except Exception:
            log.exception("looking up %s failed", press.address)
            return ButtonAnswer(_sorry(messages(language_from_hint(press.language_hint))))
        m = messages(self.language(sub, press.language_hint))
        verb, _, arg = press.action.partition(":")
        if verb not in ("subscribe", "week"):  # those stand for typing their command, which counts itself
            known = verb == "done" or verb in forgetting.VERBS
            self.meter.command(press.address.platform, f"button:{verb if known else 'unknown'}")
        try:
            if verb == "done" and (day := parse_number(arg)) is not None:
                return await self._press_done(press, sub, m, day)
            if verb in forgetting.VERBS:
                return await forgetting.press_forget(self.groups, press, m, verb, arg, self._admin_check)
            if verb == "open" and (day := parse_number(arg)) is not None and 1 <= day <= self.curriculum.total_days:
                return await self._press_open(press, sub, m, day)
            if verb == "catchup":
                return await self._press_catchup(press, sub, m, arg)
            if verb == "restart":
                return await self._press_restart(press, m, arg)
            if verb in ("subscribe", "week"):
                # These buttons are shortcuts for typing the command.
                replies = tuple(await self.handle(press.typing(f"/{verb}")))
                toast = ""
                if verb == "subscribe":
                    # A refusal (a member who is no admin) must not be toasted as a success.
                    after = await self.learners.chat(press.address)
                    toast = m._("Subscribed ✅") if after is not None and after.active else ""
                return ButtonAnswer(toast, replies=replies)
        except Exception:
            log.exception("button %r failed in %s", press.action, press.address)
            return ButtonAnswer(_sorry(m))
        return ButtonAnswer(m._("This button is no longer in use."))

    async def _press_done(self, press: Press, sub: Subscription | None, m: Messages, plan_day: int) -> ButtonAnswer:
        if not 1 <= plan_day <= self.curriculum.total_days:
            return ButtonAnswer(m._("This button is no longer in use."))
        result = await self.learners.done(sub, press.user_id, press.user_name, plan_day)
        if result.outcome is DoneOutcome.NOT_SUBSCRIBED:
            return ButtonAnswer(m._("Subscribe first with /subscribe."))
        if result.outcome is DoneOutcome.NOT_YET:
            return ButtonAnswer(m._("Day {day} has not started yet.", day=plan_day))
        assert result.progress is not None
        if result.outcome is DoneOutcome.RECORDED:
            toast = m._("✅ Day {day} done! {streak}", day=plan_day, streak=render.streak_line(m, result.progress))
        else:
            toast = m._("Already done ✅")
        card = None
        if press.kind is ChatKind.PRIVATE:
            card = render.topic_card(m, self.curriculum.topic(plan_day, m.language), done=True)
        return ButtonAnswer(toast, card)

    async def _press_open(self, press: Press, sub: Subscription | None, m: Messages, day: int) -> ButtonAnswer:
        """A catch-up list's 📖: the day's card, to read and mark done."""
        if not started(sub):
            return ButtonAnswer(m._("Subscribe first with /subscribe."))
        card = pushed_card(self.learners, m, sub, day)
        if press.kind is ChatKind.PRIVATE:
            found = await self.learners.progress(press.address, press.user_id)
            if found is not None and day in found[1].done_days:
                card = render.topic_card(m, self.curriculum.topic(day, m.language), done=True)
        return ButtonAnswer("", replies=(replace(card, private=True),))

    async def _press_catchup(self, press: Press, sub: Subscription | None, m: Messages, arg: str) -> ButtonAnswer:
        """A catch-up list's ✅: marks the day done for the person who asked, and the list loses it."""
        day_text, _, asker = arg.partition(":")
        day = parse_number(day_text)
        if day is None or not asker or not 1 <= day <= self.curriculum.total_days:
            return ButtonAnswer(m._("This button is no longer in use."))
        if press.user_id != asker:
            return ButtonAnswer(m._("Only the person who asked can confirm this."))
        result = await self.learners.done(sub, press.user_id, press.user_name, day)
        if result.outcome is DoneOutcome.NOT_SUBSCRIBED:
            return ButtonAnswer(m._("Subscribe first with /subscribe."))
        if result.outcome is DoneOutcome.NOT_YET or result.progress is None:
            return ButtonAnswer(m._("Day {day} has not started yet.", day=day))
        toast = m._("Already done ✅")
        if result.outcome is DoneOutcome.RECORDED:
            toast = m._("✅ Day {day} done! {streak}", day=day, streak=render.streak_line(m, result.progress))
        return ButtonAnswer(toast, catchup_list(m, self.curriculum, result.progress, asker))

    async def _press_restart(self, press: Press, m: Messages, arg: str) -> ButtonAnswer:
        how, _, asker = arg.partition(":")
        group = press.kind is not ChatKind.PRIVATE
        if how not in ("all", "gaps") or not asker or (group and how == "gaps"):
            return ButtonAnswer(m._("This button is no longer in use."))
        if press.user_id != asker:
            return ButtonAnswer(m._("Only the person who asked can confirm this."))
        if group and not (press.is_admin if press.is_admin is not None else
                          await self._admin_check(press.address, press.user_id)()):  # fmt: skip
            return ButtonAnswer(m._("Only this group's admins can change its subscription and settings."))
        done: frozenset[int] = frozenset()
        if how == "gaps":
            found = await self.learners.progress(press.address, press.user_id)
            done = found[1].done_days if found else frozenset()
        moved = await habits.restart(self.learners, press.address, how == "all", done)
        if moved is None:
            return ButtonAnswer(m._("Every day of the plan is done: nothing left to go through again."))
        text = m._("🔁 The plan starts again from day {day}.", day=moved.day) if how == "all" else \
            m._("🧩 Only the days not done, at your own pace: day {day} first.", day=moved.day)
        replies: list[Reply] = [TextReply(text)]
        if moved.pushed:
            replies.append(pushed_card(self.learners, m, moved.sub, moved.day))
        elif moved.sub.next_due_at is not None:
            replies.append(TextReply(m._("Today's topic is on its way.")))
        return ButtonAnswer(m._("Started again 🔁"), replies=tuple(replies))
