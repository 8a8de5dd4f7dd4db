"""How each day of a plan fits the platforms' message limits: what `studybot curriculum validate` warns about.

A plan can be valid and still have a day too long for one message; the bot then trims that day's card by section
(its last lines go), and the plan's author should know which days those are.
"""

from __future__ import annotations

from bot.adapters.discord.format import EMBED_LIMIT, FIELD_LIMIT
from bot.adapters.telegram.format import TEXT_LIMIT
from bot.core import render
from bot.core.fitting import utf16_len
from bot.core.i18n import messages
from curriculum.loader import Curriculum
from curriculum.schema import Plan


def card_warnings(plan: Plan) -> list[str]:
    """One line per day whose card a platform would show trimmed, naming the week, the day and the limit."""
    curriculum = Curriculum({plan.language: plan})
    m = messages(plan.language)
    warnings = []
    for plan_day in range(1, curriculum.total_days + 1):
        topic = curriculum.topic(plan_day, plan.language)
        card = render.topic_card(m, topic)
        where = f"week {topic.week.week}, day {topic.day.day}"
        length = utf16_len(card.plain_text())
        if length > TEXT_LIMIT:
            warnings.append(f"{where}: the card is {length:,} characters, longer than a Telegram message "
                            f"({TEXT_LIMIT:,}); its last lines are trimmed")  # fmt: skip
        embed = len(card.heading) + len(card.title) + len(card.footer)
        for section in card.sections:
            value = "\n".join(f"• {line}" for line in section.lines)
            embed += len(section.label) + len(value)
            if len(value) > FIELD_LIMIT:
                warnings.append(f"{where}: {section.label!r} is {len(value):,} characters; a Discord card shows "
                                f"{FIELD_LIMIT:,} of a section")  # fmt: skip
        if embed > EMBED_LIMIT:
            warnings.append(f"{where}: the card is {embed:,} characters; a Discord card holds {EMBED_LIMIT:,} and "
                            "loses its last lines")  # fmt: skip
    return warnings
