"""Core replies as Discord messages: text, topic cards as embeds, the progress PNG as an attachment, and
buttons whose custom_id carries the core's action, so they keep working across restarts."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import discord

from bot.core.replies import Button, FileReply, PictureReply, Reply, TextReply, TopicCard

TEXT_LIMIT = 2000
TITLE_LIMIT = 256
FIELD_LIMIT = 1024
FOOTER_LIMIT = 2048
EMBED_LIMIT = 6000
FIELDS_LIMIT = 25
LABEL_LIMIT = 80
ROWS_LIMIT, ROW_LIMIT = 5, 5
CUSTOM_ID_PREFIX = "studybot:"
PICTURE_NAME = "progress.png"
CARD_COLOUR = discord.Colour(0x2B8A3E)


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


@runtime_checkable
class ButtonTarget(Protocol):
    """The client a pressed button reports to (kept as a protocol so this module needs no client)."""

    async def on_button(self, interaction: discord.Interaction, action: str) -> None: ...


class ActionButton(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=r"studybot:(?P<action>[\w:.-]{1,90})",
):
    """A button whose custom_id is 'studybot:' + the core's action ("done:12", "week").

    Registered once with `Client.add_dynamic_items`, it matches any such button on any message, also one sent
    before the process restarted; no per-message view is kept in memory.
    """

    def __init__(self, action: str, label: str = "") -> None:
        super().__init__(
            discord.ui.Button(label=clip(label, LABEL_LIMIT) or None, style=style_of(action),
                              custom_id=CUSTOM_ID_PREFIX + action)
        )  # fmt: skip
        self.action = action

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> ActionButton:
        return cls(match["action"])

    async def callback(self, interaction: discord.Interaction) -> None:
        client = interaction.client
        if isinstance(client, ButtonTarget):
            await client.on_button(interaction, self.action)


def style_of(action: str) -> discord.ButtonStyle:
    if action.startswith("done:"):
        return discord.ButtonStyle.success
    if action.startswith("forget:"):
        return discord.ButtonStyle.danger
    return discord.ButtonStyle.secondary


def view_of(buttons: tuple[Button, ...]) -> discord.ui.View | None:
    if not buttons:
        return None
    view = discord.ui.View(timeout=None)
    # Discord: 5 rows of 5 buttons; the core's rows are kept where they fit, else discord.py fills rows in order.
    rows = sorted({b.row for b in buttons})
    fits = len(rows) <= ROWS_LIMIT and all(sum(b.row == r for b in buttons) <= ROW_LIMIT for r in rows)
    for button in buttons[: ROWS_LIMIT * ROW_LIMIT]:
        item = ActionButton(button.action, button.label)
        if fits:
            item.row = rows.index(button.row)
        view.add_item(item)
    return view


def card_embed(card: TopicCard) -> discord.Embed:
    embed = discord.Embed(title=clip(card.title, TITLE_LIMIT), colour=CARD_COLOUR)
    embed.set_author(name=clip(card.heading, TITLE_LIMIT))
    footer = clip(card.footer, FOOTER_LIMIT)
    # Discord refuses an embed over 6,000 characters in all; a long plan day loses its last lines, not its push.
    budget = EMBED_LIMIT - len(embed.title or "") - len(embed.author.name or "") - len(footer)
    for section in card.sections[:FIELDS_LIMIT]:
        name = clip(section.label, TITLE_LIMIT)
        lines = "\n".join(f"• {line}" for line in section.lines) or "-"
        room = min(FIELD_LIMIT, budget - len(name))
        if room < 2:
            break
        value = clip(lines, room)
        embed.add_field(name=name, value=value, inline=False)
        budget -= len(name) + len(value)
    if footer:
        embed.set_footer(text=footer)
    return embed


@dataclass(frozen=True)
class Outgoing:
    """One Discord message to send or edit; `kwargs` gives discord.py's arguments, built fresh each time
    because a discord.File can be read only once."""

    content: str | None = None
    embed: discord.Embed | None = None
    buttons: tuple[Button, ...] = ()
    png: bytes | None = None
    # A file to attach under its own name (a data export).
    document: tuple[str, bytes] | None = None

    def file(self) -> discord.File | None:
        if self.document is not None:
            return discord.File(io.BytesIO(self.document[1]), filename=self.document[0])
        return None if self.png is None else discord.File(io.BytesIO(self.png), filename=PICTURE_NAME)

    def kwargs(self) -> dict[str, Any]:
        """For send / send_message / followup.send: only what is set (discord.py treats None as a value)."""
        found: dict[str, Any] = {}
        if self.content:
            found["content"] = self.content
        if self.embed is not None:
            found["embed"] = self.embed
        if (view := view_of(self.buttons)) is not None:
            found["view"] = view
        if (file := self.file()) is not None:
            found["file"] = file
        return found

    def edit_kwargs(self) -> dict[str, Any]:
        """For editing a message into this one: everything replaced, so nothing of the old one stays."""
        file = self.file()
        return {
            "content": self.content or None,
            "embed": self.embed,
            "view": view_of(self.buttons),
            "attachments": [file] if file is not None else [],
        }


def outgoing(reply: Reply) -> Outgoing:
    if isinstance(reply, TopicCard):
        return Outgoing(embed=card_embed(reply), buttons=reply.buttons)
    if isinstance(reply, PictureReply):
        return Outgoing(content=clip(reply.caption, TEXT_LIMIT), png=reply.png)
    if isinstance(reply, FileReply):
        return Outgoing(content=clip(reply.caption, TEXT_LIMIT), document=(reply.filename, reply.data))
    assert isinstance(reply, TextReply)
    return Outgoing(content=clip(reply.text, TEXT_LIMIT) or "…", buttons=reply.buttons)
