"""/dashboard: a personal sign-in link to the web dashboard, for the asker alone (in a group it goes to them
privately: a DM on Telegram, an ephemeral reply on Discord)."""

from __future__ import annotations

from bot.core.events import Context
from bot.core.handlers import Handler
from bot.core.learner import Learners
from bot.core.replies import TextReply


async def dashboard(learners: Learners, ctx: Context) -> None:
    m, inc = ctx.m, ctx.incoming
    group = inc.address.chat_id if ctx.in_group else None
    url = None
    if ctx.links is not None:
        url = ctx.links.sign_in_url(inc.address.platform, inc.user_id, inc.user_name, group, inc.chat_title)
    if ctx.links is None or url is None:
        ctx.refuse(m._("The web dashboard is not set up for this bot. Its operator can turn it on with "
                       "STUDYBOT_PUBLIC_URL."))  # fmt: skip
        return
    lines = [m._("🔗 Your dashboard: {url}", url=url),
             m._("This link signs you in as you for {minutes} minutes. Do not share it; /dashboard gives a new one.",
                 minutes=ctx.links.link_minutes)]  # fmt: skip
    if group is not None:
        lines.append(m._("It also opens this group's page."))
    ctx.replies.append(TextReply("\n".join(lines), private=True, direct=True))


DASHBOARD_HANDLERS: dict[str, Handler] = {"dashboard": dashboard}
