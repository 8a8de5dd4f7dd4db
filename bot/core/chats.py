"""What a platform says about a chat itself: it is gone (blocked, kicked, deleted), moved to a new id, or still there
but not letting the bot post. The rules for each live here; adapters and the delivery pass only report. (A chat
that comes back is `Learners.reactivate`: when its pushes resume is the learner's schedule.)"""

from __future__ import annotations

from dataclasses import replace

from bot.core.model import Address, Subscription
from bot.core.ports import Clock, Store


class Chats:
    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    async def gone(self, address: Address) -> None:
        """Stop pushing to a chat the platform says is gone or has blocked the bot; its record is kept, and an
        unblock, the bot added back, or /start turns it on again."""
        async with self.store.unit() as uow:
            sub = await uow.subscription(address)
            if sub is None or (sub.unreachable and not sub.active):
                return
            cut_off = replace(sub, active=False, unreachable=True, next_due_at=None)
            await uow.save_subscription(cut_off, self.clock.now())
            await uow.commit()

    async def moved(self, address: Address, new_chat_id: str) -> None:
        """The platform gave the chat a new id (a Telegram group became a supergroup): the subscription and its
        history follow, unless the new id already has one of its own."""
        async with self.store.unit() as uow:
            if await uow.subscription(Address(address.platform, new_chat_id)) is not None:
                return
            sub = await uow.subscription(address)
            if sub is None:
                return
            await uow.save_subscription(replace(sub, address=Address(address.platform, new_chat_id)), self.clock.now())
            await uow.commit()

    async def cannot_post(self, sub: Subscription, reason: str) -> None:
        """The chat is there, but the bot may not post in it (muted, permissions removed, slow mode): the
        subscription stays, and admins are told `reason` until a push goes through again."""
        if sub.post_problem != reason and sub.id is not None:
            await self.store.set_post_problem(sub.id, reason)

    async def can_post(self, sub: Subscription) -> None:
        """A push went through: whatever kept the bot from posting is over."""
        if sub.post_problem is not None and sub.id is not None:
            await self.store.set_post_problem(sub.id, None)
