"""The settings of the web server, webhook mode and Discord shards: what is accepted, and what each mistake is told
(without ever echoing the webhook's secret)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bot.settings import Settings, Shards, parse_shards
from tests.processes import studybot_env
from tests.test_cli import studybot

SECRET = "s3cret_webhook-Token_0123456789"


def settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "shards"),
    [("0-3/8", Shards((0, 1, 2, 3), 8)), ("5/8", Shards((5,), 8)), (" 0, 2,4-5 / 8", Shards((0, 2, 4, 5), 8)),
     ("0/1", Shards((0,), 1))],
)  # fmt: skip
def test_shard_slices_are_read(text: str, shards: Shards) -> None:
    assert parse_shards(text) == shards
    assert settings(discord_shards=text).discord_shards == shards


@pytest.mark.parametrize(
    ("text", "complaint"),
    [("8/8", "from 0 to 7"), ("3-1/4", "runs backwards"), ("0-3", "IDS/COUNT"), ("x/2", "IDS/COUNT"),
     ("1/0", "must be 1 to"), ("²/8", "IDS/COUNT"), ("0-9/999999999", "must be 1 to")],
)  # fmt: skip
def test_a_wrong_shard_slice_says_what_is_accepted(text: str, complaint: str) -> None:
    with pytest.raises(ValueError, match=complaint):
        parse_shards(text)


def test_no_shards_is_one_connection_for_every_server() -> None:
    assert settings().discord_shards is None
    assert settings(discord_shards="").discord_shards is None


def test_the_web_server_is_off_unless_a_port_is_set() -> None:
    assert settings().web_port is None
    assert settings(web_port="").web_port is None
    assert settings(web_port="8080").web_port == 8080
    assert settings().web_host == "127.0.0.1"


def test_webhook_mode_takes_its_path_from_the_public_url() -> None:
    chosen = settings(telegram_webhook_url="https://bot.example.com:8443/hooks/telegram",
                      telegram_webhook_secret=SECRET, web_port=8080)  # fmt: skip
    assert chosen.webhook_path == "/hooks/telegram"
    assert settings().webhook_path is None


@pytest.mark.parametrize(
    ("url", "complaint"),
    [("http://bot.example.com/telegram", "https"), ("https://bot.example.com:8080/telegram", "ports 443, 80, 88, 8443"),
     ("https://bot.example.com", "path of its own"), ("https://bot.example.com/healthz", "path of its own")],
)  # fmt: skip
def test_a_webhook_url_telegram_would_refuse_is_refused_at_start(url: str, complaint: str) -> None:
    with pytest.raises(ValidationError, match=complaint):
        settings(telegram_webhook_url=url, telegram_webhook_secret=SECRET, web_port=8080)


def test_webhook_mode_needs_a_valid_shared_secret_and_a_web_port() -> None:
    url = "https://bot.example.com/telegram"
    with pytest.raises(ValidationError, match="STUDYBOT_TELEGRAM_WEBHOOK_SECRET"):
        settings(telegram_webhook_url=url, web_port=8080)
    with pytest.raises(ValidationError, match="STUDYBOT_WEB_PORT"):
        settings(telegram_webhook_url=url, telegram_webhook_secret=SECRET)
    for bad in ("has space", "x" * 257, "semi;colon"):
        with pytest.raises(ValidationError, match="A-Z, a-z, 0-9, _ and -") as refused:
            settings(telegram_webhook_url=url, telegram_webhook_secret=bad, web_port=8080)
        assert bad not in str(refused.value)


def test_the_command_names_each_mistake_and_never_the_secret() -> None:
    bad_secret = "not allowed!" + SECRET
    env = studybot_env(telegram_token="123:abc", telegram_webhook_url="https://bot.example.com/telegram",
                       telegram_webhook_secret=bad_secret, web_port="8080", discord_shards="4/4")  # fmt: skip
    result = studybot("run", env=env)
    assert result.returncode == 2
    assert "STUDYBOT_TELEGRAM_WEBHOOK_SECRET" in result.stderr and "STUDYBOT_DISCORD_SHARDS" in result.stderr
    assert SECRET not in result.stderr + result.stdout
    missing = studybot("run", env=studybot_env(telegram_token="123:abc", telegram_webhook_url="https://b.example/t"))
    assert missing.returncode == 2
    assert "Settings: webhook mode needs STUDYBOT_TELEGRAM_WEBHOOK_SECRET" in missing.stderr
