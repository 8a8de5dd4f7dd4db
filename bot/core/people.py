"""Where a person's own chat is: their DM's address on each platform, from who they are (a sign-in link names the
person, and their page shows the plan of their DM)."""

from __future__ import annotations

from bot.core.model import Address

# Discord addresses a DM by its user, so the address stays the same whoever opens the channel (the adapter uses it).
DISCORD_DM_PREFIX = "dm:"


def dm_address(platform: str, user_id: str) -> Address:
    """A person's DM: on Discord `dm:<user id>`; on Telegram a private chat's id is its user's (and the console's
    one chat and one user are both `you`)."""
    if platform == "discord":
        return Address(platform, f"{DISCORD_DM_PREFIX}{user_id}")
    return Address(platform, user_id)
