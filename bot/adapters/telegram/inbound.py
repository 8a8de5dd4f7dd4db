"""The inbound side of Telegram: updates from long polling become core calls, and replies go back out."""

from __future__ import annotations

import logging
from dataclasses import replace

from telegram import Chat, ChatMember, Update, User
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    ChatMemberHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.adapters.telegram.channels import ChannelProblem, aimed_at_channel, channel_incoming
from bot.adapters.telegram.dedupe import SeenUpdates
from bot.adapters.telegram.format import TOAST_LIMIT, clip
from bot.adapters.telegram.gateway import PLATFORM, TelegramGateway
from bot.core.commands import Commands
from bot.core.events import Incoming, Origin
from bot.core.i18n import language_from_hint, messages
from bot.core.model import Address, ChatKind
from bot.core.ports import CannotPost, ChatMoved, ChatUnreachable, SendUncertain, TemporaryFailure
from bot.core.replies import Reply, TextReply

log = logging.getLogger(__name__)

# The bot's own membership, as my_chat_member reports it.
LEFT_STATUSES = (ChatMember.LEFT, ChatMember.BANNED)
MEMBER_STATUSES = (ChatMember.MEMBER, ChatMember.ADMINISTRATOR, ChatMember.OWNER)


def origin(chat: Chat, user: User) -> Origin:
    """Who wrote or pressed, and in which chat."""
    return Origin(Address(PLATFORM, str(chat.id)), chat_kind(chat), str(user.id), user.first_name, user.language_code,
                  chat_title=chat.title or "")  # fmt: skip


def _direct(reply: Reply) -> bool:
    return isinstance(reply, TextReply) and reply.direct


def chat_kind(chat: Chat) -> ChatKind:
    if chat.type == Chat.PRIVATE:
        return ChatKind.PRIVATE
    return ChatKind.CHANNEL if chat.type == Chat.CHANNEL else ChatKind.GROUP


def addressed_elsewhere(text: str, bot_username: str) -> bool:
    """'/done@otherbot' in a group is meant for another bot: stay quiet."""
    words = text.split(maxsplit=1)
    word = words[0] if words else ""
    if not word.startswith("/") or "@" not in word:
        return False
    return word.split("@", 1)[1].lower() != bot_username.lower()


class TelegramInbound:
    """Registers PTB handlers that call the core and send its replies through the gateway."""

    def __init__(self, commands: Commands, gateway: TelegramGateway, seen: SeenUpdates | None = None) -> None:
        self.commands = commands
        self.gateway = gateway
        # None: updates come already deduplicated (a webhook's, before they are queued).
        self.seen = seen

    def install(self, application: Application) -> None:  # type: ignore[type-arg]
        if self.seen is not None:
            # Before every other handler: a repeated update stops here.
            application.add_handler(TypeHandler(Update, self.once), group=-1)
        application.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, self.on_migrate))
        application.add_handler(MessageHandler(filters.TEXT, self.on_message))
        application.add_handler(CallbackQueryHandler(self.on_press))
        application.add_handler(ChatMemberHandler(self.on_my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER))
        application.add_handler(ChatMemberHandler(self.on_chat_member, ChatMemberHandler.CHAT_MEMBER))
        application.add_error_handler(self.on_error)

    async def once(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if self.seen is not None and not await self.seen.first(update.update_id):
            log.info("update %s came again; already handled", update.update_id)
            raise ApplicationHandlerStop

    async def reply(
        self, chat_id: int, replies: list[Reply] | tuple[Reply, ...], *, user_id: int | None = None
    ) -> None:
        if user_id is not None and user_id != chat_id and any(_direct(r) for r in replies):
            # Telegram cannot show a group's member a message the others do not see: it goes to their DM.
            await self._send_direct(chat_id, user_id, [r for r in replies if _direct(r)])
            replies = [r for r in replies if not _direct(r)]
        for n, reply in enumerate(replies):
            try:
                await self.gateway.send(str(chat_id), reply)
            except ChatUnreachable:
                await self.commands.chat_gone(Address(PLATFORM, str(chat_id)))
                return
            except CannotPost:
                # Muted in the group: what was meant for the asker alone (how to unmute the bot) reaches their DM.
                if user_id is not None and user_id != chat_id:
                    await self.reply(user_id, [r for r in replies[n:] if isinstance(r, TextReply) and r.private])
                return
            except (ChatMoved, TemporaryFailure, SendUncertain) as exc:
                log.warning("reply to %s not sent: %s", chat_id, exc)
                return

    async def _send_direct(self, chat_id: int, user_id: int, replies: list[Reply]) -> None:
        """What is for the asker's eyes only (a sign-in link) goes to their DM; the group hears that it went, or how
        to let it through."""
        m = messages(await self.commands.chat_language(Address(PLATFORM, str(chat_id)), None))
        try:
            for reply in replies:
                await self.gateway.send(str(user_id), reply)
        except ChatUnreachable:
            # They never opened a chat with the bot, or blocked it: Telegram lets no bot write first.
            note = m._("I cannot message you privately yet: open a chat with me, press Start, then ask here again.")
        except (ChatMoved, CannotPost, TemporaryFailure, SendUncertain) as exc:
            log.warning("private reply to %s not sent: %s", user_id, exc)
            note = m._("Your private message could not be sent just now. Please ask again in a minute.")
        else:
            note = m._("📬 Sent to you in a private message.")
        await self.reply(chat_id, [TextReply(note, private=True)])

    async def on_message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message, chat, user = update.effective_message, update.effective_chat, update.effective_user
        if message is None or chat is None or user is None or message.text is None:
            return
        if addressed_elsewhere(message.text, context.bot.username):
            return
        if chat.type == Chat.PRIVATE and (aimed := aimed_at_channel(message.text)) is not None:
            # A channel's admin manages it from here; the answers come back to this DM.
            try:
                remote = await channel_incoming(context.bot, user, *aimed)
            except ChannelProblem as problem:
                await self.reply(chat.id, [TextReply(str(problem))])
                return
            await self.reply(chat.id, await self.commands.handle(remote))
            return
        replied = message.reply_to_message.from_user if message.reply_to_message else None
        # An anonymous admin writes as the group itself (from GroupAnonymousBot, sender_chat = the chat).
        as_the_group = message.sender_chat is not None and message.sender_chat.id == chat.id
        incoming = replace(origin(chat, user), is_admin=True if as_the_group else None).typing(
            message.text,
            target_user_id=str(replied.id) if replied and not replied.is_bot else None,
            target_user_name=replied.first_name if replied else "",
            sent_at=message.date,
        )
        await self.reply(chat.id, await self.commands.handle(incoming), user_id=user.id)

    async def on_press(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query, chat = update.callback_query, update.effective_chat
        if query is None:
            return
        user = query.from_user
        if chat is None:
            # A press on a message sent in inline mode has no chat; studybot sends none, so this is an old or a
            # forged one. Answered all the same, or the user's button keeps spinning.
            m = messages(language_from_hint(user.language_code))
            await query.answer(clip(m._("This button is no longer in use."), TOAST_LIMIT))
            return
        press = origin(chat, user).pressing(query.data or "")
        answer = await self.commands.press(press)
        await query.answer(clip(answer.toast, TOAST_LIMIT))
        if answer.card is not None and query.message is not None:
            try:
                await self.gateway.edit(str(chat.id), str(query.message.message_id), answer.card)
            except (ChatUnreachable, ChatMoved, CannotPost, TemporaryFailure, SendUncertain) as exc:
                log.info("card in %s not edited: %s", chat.id, exc)
        await self.reply(chat.id, answer.replies)

    async def on_chat_member(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Someone's rights changed (an admin demoted or promoted): the next admin check asks Telegram again."""
        if update.chat_member is not None:
            self.gateway.forget_admins(str(update.chat_member.chat.id))

    async def on_my_chat_member(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        change = update.my_chat_member
        if change is None:
            return
        chat = change.chat
        self.gateway.forget_admins(str(chat.id))
        address = Address(PLATFORM, str(chat.id))
        old, new = change.old_chat_member.status, change.new_chat_member.status
        if new in LEFT_STATUSES:
            log.info("bot removed from or blocked in %s; deactivating", chat.id)
            await self.commands.chat_gone(address)
        elif new in MEMBER_STATUSES and old in LEFT_STATUSES:
            if await self.commands.chat_back(address) or chat.type == Chat.PRIVATE:
                return
            # Just added to a group: say hello and how an admin starts the daily topic.
            user = change.from_user
            hello = Incoming(address, chat_kind(chat), str(user.id), user.first_name, user.language_code, text="/start")
            await self.reply(chat.id, await self.commands.handle(hello))

    async def on_migrate(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is None or message.migrate_to_chat_id is None:
            return
        old = Address(PLATFORM, str(message.chat.id))
        await self.commands.chat_moved(old, str(message.migrate_to_chat_id))

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        error = context.error
        if isinstance(error, TelegramError):
            log.warning("Telegram error while handling an update: %s", error)
        else:
            log.error("error while handling an update", exc_info=error)
