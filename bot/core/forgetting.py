"""Deleting what is stored: an admin's /forget of a chat (also of one managed from a DM, such as a Telegram
channel), and a member's own /forget me in a group.

The confirm button carries the chat it deletes and who asked, so a press acts on that chat whatever chat it is
pressed in, and only for the person who asked (re-checked as an admin of that chat).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.core.events import Context, Press
from bot.core.groups import Groups
from bot.core.i18n import Messages
from bot.core.learner import Learners
from bot.core.model import Address, ChatKind
from bot.core.replies import Button, ButtonAnswer, TextReply

FORGET_CHAT = "forget"
FORGET_ME = "forgetme"
VERBS = (FORGET_CHAT, FORGET_ME)
ME = frozenset({"me", "myself", "我", "我自己"})
AdminCheck = Callable[[Address, str], Callable[[], Awaitable[bool]]]


def action(verb: str, address: Address, user_id: str) -> str:
    """'forget:-100123:42': what to delete, and whose press confirms it (Telegram allows 64 bytes; this is < 50)."""
    return f"{verb}:{address.chat_id}:{user_id}"


def _chat_name(m: Messages, ctx: Context) -> str:
    title = ctx.incoming.chat_title.strip()
    return m._("“{title}”", title=title[:64]) if title else m._("this group")


async def forget(learners: Learners, ctx: Context) -> None:
    """/forget (an admin: the whole chat) or /forget me (a member: their own record here)."""
    m, inc = ctx.m, ctx.incoming
    words = ctx.args.strip().lower()
    if words and words not in ME:
        ctx.refuse(m._("Usage: /forget deletes this chat's data (admins); /forget me deletes only your own record."))
        return
    if words and ctx.in_group:
        await _forget_me(ctx)
        return
    if not await ctx.is_admin():
        ctx.refuse(m._("Only this group's admins can forget the whole group. /forget me deletes your own record."))
        return
    if ctx.sub is None and ctx.in_group:
        ctx.say(m._("There is nothing stored about this chat."))
        return
    button = Button(m._("🗑 Yes, forget everything"), action(FORGET_CHAT, inc.address, inc.user_id))
    if not ctx.in_group:
        text = m._("This deletes everything I keep about you, for good: your subscription and settings here, the days "
                   "you marked done and their notes, here and in every group, and the corrections about you or made "
                   "by you. /export first if you want a copy.")  # fmt: skip
    else:
        text = m._("This deletes everything stored about {chat}: its subscription, everyone's progress there and "
                   "the audit trail, for good.", chat=_chat_name(m, ctx))  # fmt: skip
    ctx.say(text, button, private=True)  # the confirm button is for the admin who asked


async def _forget_me(ctx: Context) -> None:
    m, inc = ctx.m, ctx.incoming
    if ctx.sub is None:
        ctx.say(m._("There is nothing stored about this chat."), private=True)
        return
    ctx.say(
        m._("This deletes your own record in {chat}: the days you marked done here and their notes. The group's "
            "subscription and everyone else's records stay.", chat=_chat_name(m, ctx)),
        Button(m._("🗑 Yes, delete my record"), action(FORGET_ME, inc.address, inc.user_id)),
        private=True,
    )  # fmt: skip


async def press_forget(groups: Groups, press: Press, m: Messages, verb: str, arg: str,
                       admin_check: AdminCheck) -> ButtonAnswer:  # fmt: skip
    """A press of a confirm button made by `forget`."""
    target, _, asker = arg.rpartition(":")
    here = target == press.address.chat_id
    if not target or not asker or (verb == FORGET_ME and not here):
        return ButtonAnswer(m._("This button is no longer in use."))
    if press.user_id != asker:
        return ButtonAnswer(m._("Only the person who asked can confirm this."))
    if verb == FORGET_ME:
        days = await groups.forget_member(press.address, press.user_id)
        if days is None:
            return ButtonAnswer(m._("There is nothing stored about this chat."))
        done = m.ngettext("Your record here is deleted: {n} day done, with its note. The group and everyone else's "
                          "records are kept.", "Your record here is deleted: {n} days done, with their notes. The "
                          "group and everyone else's records are kept.", len(days))  # fmt: skip
        return ButtonAnswer(m._("Deleted 🗑"), replies=(TextReply(done, private=True),))
    address = Address(press.address.platform, target)
    if here and press.kind is ChatKind.PRIVATE:
        await groups.forget_person(press.address, press.user_id)
        done = m._("Everything about you is deleted: nothing of yours is kept. /start begins anew.")
        return ButtonAnswer(m._("Forgotten 🗑"), replies=(TextReply(done),))
    if here and press.is_admin is not None:
        allowed = press.is_admin
    else:
        # Asked here about another chat (a channel, from a DM): still its admin?
        allowed = await admin_check(address, press.user_id)()
    if not allowed:
        return ButtonAnswer(m._("Only this group's admins can change its subscription and settings."))
    if not await groups.forget(address):
        return ButtonAnswer(m._("There is nothing stored about this chat."))
    if here:
        done = m._("Everything about this chat is deleted. /start begins anew.")
    else:
        done = m._("Everything about that chat is deleted. This chat is unchanged.")
    return ButtonAnswer(m._("Forgotten 🗑"), replies=(TextReply(done),))
