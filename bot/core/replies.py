"""Replies as data: what the core wants said, which each adapter turns into its platform's message."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Button:
    """A tap target; `action` is what comes back when pressed, e.g. "done:12". Buttons of one `row` sit side by
    side, rows one under another (a platform with a smaller row splits it)."""

    label: str
    action: str
    row: int = 0


@dataclass(frozen=True)
class Section:
    label: str
    lines: tuple[str, ...]


@dataclass(frozen=True)
class TextReply:
    text: str
    buttons: tuple[Button, ...] = ()
    # About the asker alone (their streak, a refusal): a platform that can show a message to one member of a group
    # (Discord's ephemeral replies) shows it only to them; the others send it as usual.
    private: bool = False
    # For the asker's eyes only, never a group's (a sign-in link): where `private` cannot hide it in a group
    # (Telegram), it goes to the asker's DM instead. Always `private` too.
    direct: bool = False


@dataclass(frozen=True)
class TopicCard:
    """A day's topic, ready to show: headings already in the chat's language."""

    plan_day: int
    heading: str
    title: str
    sections: tuple[Section, ...]
    footer: str = ""
    buttons: tuple[Button, ...] = ()
    private: bool = False  # as on TextReply

    def plain_text(self) -> str:
        """The card as plain text, for terminals and platforms without rich formatting."""
        parts = [self.heading, self.title]
        for section in self.sections:
            parts.append("")
            parts.append(section.label)
            parts.extend(f"• {line}" for line in section.lines)
        if self.footer:
            parts += ["", self.footer]
        return "\n".join(parts)


@dataclass(frozen=True)
class PictureReply:
    png: bytes
    caption: str
    text_fallback: str = field(default="")
    private: bool = False  # as on TextReply


@dataclass(frozen=True)
class FileReply:
    """A file to download (a learner's data export): a document on Telegram, an attachment on Discord, a file in
    the demo."""

    data: bytes
    filename: str
    caption: str
    private: bool = False  # as on TextReply


Reply = TextReply | TopicCard | PictureReply | FileReply


@dataclass(frozen=True)
class ButtonAnswer:
    """The answer to a button press: a short toast for the presser and, optionally, the card to show instead."""

    toast: str
    # What the pressed message becomes: a topic card, or a text with new buttons (a catch-up list, shorter).
    card: TopicCard | TextReply | None = None
    replies: tuple[Reply, ...] = ()
