"""Where studybot touches discord.py's internals, each for a measured reason (pinned: discord.py>=2.4,<3).

- discord.py keeps its REST base and gateway URL on classes (`Route.BASE`, `DiscordWebSocket.DEFAULT_GATEWAY`)
  and offers no option for them: pointing the real client at a local Discord (the tests' fake, or a proxy)
  means setting them. Set only when the operator overrides the URLs, and put back on stop.
- A study bot has no voice: `VoiceClient`'s warnings about missing voice libraries would only alarm operators.

tests/adapters/test_discord_patches.py fails if a discord.py release moves any of these.
"""

from __future__ import annotations

import discord
import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route


def rest_base(api_url: str) -> str:
    """'https://discord.com' or a test server's root -> its '/api/v10'; a URL that names its /api path is kept."""
    root = api_url.rstrip("/")
    return root if "/api" in yarl.URL(root).path else f"{root}/api/v10"


class Endpoints:
    """discord.py pointed at other servers while in use; the defaults come back on `restore`."""

    def __init__(self, api_url: str | None, gateway_url: str | None) -> None:
        self.api_url = api_url
        self.gateway_url = gateway_url
        self._saved: tuple[str, yarl.URL] | None = None

    def apply(self) -> None:
        if (self.api_url is None and self.gateway_url is None) or self._saved is not None:
            return
        self._saved = (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY)
        if self.api_url is not None:
            Route.BASE = rest_base(self.api_url)
        if self.gateway_url is not None:
            DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(self.gateway_url)

    def restore(self) -> None:
        if self._saved is not None:
            Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = self._saved
            self._saved = None


def quiet_voice() -> None:
    discord.VoiceClient.warn_nacl = discord.VoiceClient.warn_dave = False
