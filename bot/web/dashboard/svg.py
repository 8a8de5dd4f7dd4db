"""The pages' grids, built here rather than in a template (hundreds of cells, each with a title, cost a template
several times more): the plan's grid as inline SVG, one linked square per plan day, weeks down and days across; and a
group's week, members down and days across. Each cell is classed by its state (the stylesheet colours them) and
titled in the page's language; a member's name is escaped like every other text."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from markupsafe import Markup, escape

from bot.core.heatmap import CellState
from bot.core.i18n import Messages
from bot.core.overview import DayState
from curriculum.schema import DAYS_PER_WEEK

CELL, STEP, LEFT, TOP = 28, 32, 42, 22


def plan_grid(
    days: Sequence[DayState], chosen: int | None, m: Messages, state_names: Mapping[str, str], link: str = "/me"
) -> Markup:
    weeks = -(-len(days) // DAYS_PER_WEEK)
    label = escape(m._("Progress {done}/{total}", done=sum(s in _DONE for s in days), total=len(days)))
    parts = [f'<svg class="grid" viewBox="0 0 {LEFT + DAYS_PER_WEEK * STEP} {TOP + weeks * STEP}" role="img" '
             f'aria-label="{label}">']  # fmt: skip
    parts += [
        f'<text class="col" x="{LEFT + d * STEP + CELL // 2}" y="14">{d + 1}</text>' for d in range(DAYS_PER_WEEK)
    ]
    day_word = escape(m._("Day {day}", day="\0")).split("\0")
    names = {state: escape(state_names.get(state.value, state.value)) for state in set(days)}
    for week in range(weeks):
        y = TOP + week * STEP
        parts.append(f'<text class="row" x="{LEFT - 8}" y="{y + CELL // 2 + 4}">W{week + 1}</text>')
        for d in range(DAYS_PER_WEEK):
            n = week * DAYS_PER_WEEK + d + 1
            if n > len(days):
                break
            state = days[n - 1]
            mark = " chosen" if n == chosen else ""
            title = f"{day_word[0]}{n}{day_word[-1]} · {names[state]}"
            x = LEFT + d * STEP
            parts.append(f'<a href="{link}?day={n}#day"><rect class="cell {state.value}{mark}" x="{x}" y="{y}" '
                         f'width="{CELL}" height="{CELL}" rx="5"><title>{title}</title></rect></a>')  # fmt: skip
    parts.append("</svg>")
    return Markup("".join(parts))


_DONE = frozenset({DayState.DONE, DayState.TODAY_DONE})


def week_rows(
    rows: Sequence[tuple[str, Sequence[CellState]]], titles: Sequence[str], state_names: Mapping[str, str]
) -> Markup:
    """The body of a group's members x days table: a row per member, a cell per day of the week."""
    labels = [escape(t) for t in titles]
    names = {state: escape(name) for state, name in state_names.items()}
    lines = []
    for name, week in rows:
        cells = "".join(
            f'<td class="cell {state.value}" title="{label} · {names.get(state.value, state.value)}"></td>'
            for label, state in zip(labels, week, strict=True)
        )
        lines.append(f'<tr><th class="name">{escape(name)}</th>{cells}</tr>')
    return Markup("\n".join(lines))
