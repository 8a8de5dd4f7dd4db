"""Canary for bot/adapters/discord/patches.py: fails if a discord.py release moves what studybot sets there."""

from __future__ import annotations

import discord
import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

from bot.adapters.discord.patches import Endpoints, quiet_voice, rest_base


def test_the_class_attributes_studybot_points_elsewhere_are_still_there() -> None:
    assert isinstance(Route.BASE, str) and Route.BASE.startswith("https://discord.com/api/v")
    assert isinstance(DiscordWebSocket.DEFAULT_GATEWAY, yarl.URL)
    assert hasattr(discord.VoiceClient, "warn_nacl") and hasattr(discord.VoiceClient, "warn_dave")


def test_endpoints_point_discord_py_elsewhere_and_back() -> None:
    before = (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY)
    endpoints = Endpoints("http://127.0.0.1:8080", "ws://127.0.0.1:8080/gateway")
    endpoints.apply()
    try:
        assert Route.BASE == "http://127.0.0.1:8080/api/v10"
        assert str(DiscordWebSocket.DEFAULT_GATEWAY) == "ws://127.0.0.1:8080/gateway"
    finally:
        endpoints.restore()
    assert before == (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY)
    Endpoints(None, None).apply()  # nothing overridden: nothing touched
    assert before == (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY)


def test_quiet_voice_silences_only_the_voice_warnings() -> None:
    quiet_voice()
    assert discord.VoiceClient.warn_nacl is False and discord.VoiceClient.warn_dave is False


def test_rest_base_accepts_a_root_or_a_full_api_url() -> None:
    assert rest_base("https://discord.com") == "https://discord.com/api/v10"
    assert rest_base("http://127.0.0.1:8080/") == "http://127.0.0.1:8080/api/v10"
    assert rest_base("http://127.0.0.1:8080/api/v9") == "http://127.0.0.1:8080/api/v9"
