"""Commands for studying together: leaderboards, the admins' member overview and corrections, and forgetting a
chat's data."""

from __future__ import annotations

from bot.core.events import Context
from bot.core.forgetting import forget
from bot.core.groups import CorrectOutcome, by_all_time
from bot.core.handlers import Handler, admin_only
from bot.core.learner import Learners
from bot.core.parsing import parse_number
from curriculum.schema import week_of

MEDALS = ("🥇", "🥈", "🥉")
SHOWN = 10


async def leaderboard(learners: Learners, ctx: Context) -> None:
    m = ctx.m
    found = await ctx.groups.board(ctx.incoming.address)
    if found is None:
        ctx.refuse(m._("This chat is not subscribed yet, so there is no leaderboard. An admin can /subscribe."))
        return
    sub, rows = found
    if not rows:
        ctx.say(m._("Nobody has finished a day here yet. Be the first: /done"))
        return
    week = week_of(learners.current_day(sub))
    lines = [m._("🏆 Leaderboard · week {week}", week=week), "", m._("This week:")]
    by_week = [r for r in rows if r.week_done][:SHOWN]
    for place, row in enumerate(by_week):
        mark = MEDALS[place] if place < len(MEDALS) else f"{place + 1}."
        lines.append(f"{mark} {row.name} · {row.week_done}/7 · 🔥 {row.streak}")
    if not by_week:
        lines.append(m._("Nobody yet this week."))
    lines += ["", m._("All time:")]
    for place, row in enumerate(by_all_time(rows)[:SHOWN], 1):
        lines.append(m.ngettext("{place}. {name} · {n} day", "{place}. {name} · {n} days", row.days_done,
                                place=place, name=row.name))  # fmt: skip
    ctx.say("\n".join(lines))


async def members(learners: Learners, ctx: Context) -> None:
    m, groups = ctx.m, ctx.groups
    found = await groups.board(ctx.incoming.address)
    if found is None or not found[1]:
        ctx.say(m._("No member has finished a day here yet."), private=True)
        return
    rows = found[1]
    lines = [m._("👥 Members ({n})", n=len(rows))]
    for row in sorted(rows, key=lambda r: r.name.lower()):
        last = row.last_date.isoformat() if row.last_date else "-"
        lines.append(
            m.ngettext("{name}: {n} day · 🔥 {streak} (longest {longest}) · last {last}",
                       "{name}: {n} days · 🔥 {streak} (longest {longest}) · last {last}", row.days_done,
                       name=row.name, streak=row.streak, longest=row.longest, last=last)
        )  # fmt: skip
    audit = await groups.audit(ctx.incoming.address)
    if audit:
        lines += ["", m._("📝 Corrections by admins:")]
        for entry in audit:
            at, who, day, member = entry.at.date().isoformat(), entry.admin_name, entry.plan_day, entry.member_name
            if entry.marked_done:
                lines.append(m._("{at} {admin} marked day {day} done for {member}", at=at, admin=who, day=day,
                                 member=member))  # fmt: skip
            else:
                lines.append(m._("{at} {admin} unmarked day {day} for {member}", at=at, admin=who, day=day,
                                 member=member))  # fmt: skip
    lines += ["", _how_to_correct(ctx)]
    ctx.say("\n".join(lines), private=True)


def _how_to_correct(ctx: Context) -> str:
    if ctx.incoming.member_option:
        return ctx.m._("To correct a member's day, use /mark or /unmark and choose the member and the plan day.")
    return ctx.m._("To correct a member's day, reply to one of their messages with /mark DAY or /unmark DAY.")


async def _correct(learners: Learners, ctx: Context, done: bool) -> None:
    m, inc = ctx.m, ctx.incoming
    if not ctx.in_group:
        ctx.refuse(m._("/mark and /unmark work in a group, for its admins.") + "\n" + _how_to_correct(ctx))
        return
    if inc.target_user_id is None:
        if inc.member_option:
            ctx.refuse(_how_to_correct(ctx))
        else:
            ctx.refuse(m._("Reply to a message of the member you mean, with /mark DAY or /unmark DAY (DAY: plan day)."))
        return
    day = parse_number(ctx.args)
    if ctx.args and day is None:
        ctx.refuse(m._("“{word}” is not a plan day; use its number, for example 12.", word=ctx.args[:40]) + "\n"
                + _how_to_correct(ctx))  # fmt: skip
        return
    member = (inc.target_user_id, inc.target_user_name or inc.target_user_id)
    outcome, day_done = await ctx.groups.correct(inc.address, (inc.user_id, inc.user_name), member, day, done)
    if outcome is CorrectOutcome.NOT_SUBSCRIBED:
        ctx.refuse(m._("This chat is not subscribed yet. An admin can /subscribe."))
    elif outcome is CorrectOutcome.BAD_DAY:
        ctx.refuse(m._("Day {day} is not a day this group has reached.", day=day_done))
    elif outcome is CorrectOutcome.UNCHANGED:
        ctx.refuse(m._("Nothing to change: that is already {member}'s record for day {day}.", member=member[1],
                    day=day_done))  # fmt: skip
    elif done:
        ctx.say(m._("✅ Marked day {day} done for {member}. /members shows the record.", day=day_done,
                    member=member[1]))  # fmt: skip
    else:
        ctx.say(m._("↩️ Unmarked day {day} for {member}. /members shows the record.", day=day_done,
                    member=member[1]))  # fmt: skip


async def mark(learners: Learners, ctx: Context) -> None:
    await _correct(learners, ctx, True)


async def unmark(learners: Learners, ctx: Context) -> None:
    await _correct(learners, ctx, False)


GROUP_HANDLERS: dict[str, Handler] = {
    "leaderboard": leaderboard,
    "members": admin_only(members),
    "mark": admin_only(mark),
    "unmark": admin_only(unmark),
    "forget": forget,  # admins forget the chat; anyone their own record (it checks which)
}
