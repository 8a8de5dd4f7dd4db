"""`studybot stats` as an operator runs it: a separate process reading a database that eight days of use filled, as a
table and as JSON; a database that is not there (or not migrated) is named, and not created."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from pydantic import SecretStr

from bot.bootstrap import bootstrap
from bot.core.clock import ManualClock
from bot.settings import Settings
from bot.stats import as_json
from curriculum.loader import Curriculum
from tests.conftest import START
from tests.processes import studybot_env, studybot_once
from tests.store.test_stats import DAYS, eight_days, expected

PASSWORD = "s3cret-pass"


async def test_stats_prints_a_table_and_json_of_what_happened(database_url: str, curriculum: Curriculum) -> None:
    settings = Settings(database_url=SecretStr(database_url), _env_file=None)
    clock = ManualClock(START)
    app = await bootstrap(settings, clock=clock, curriculum=curriculum, migrate=False)
    try:
        await eight_days(app, clock)
    finally:
        await app.close()
    now = (START + timedelta(days=DAYS, hours=9)).isoformat()
    env = studybot_env(database_url=database_url)

    code, out, err = await studybot_once("stats", "--json", "--now", now, env=env)
    assert code == 0, err
    assert json.loads(out) == as_json(expected())

    code, out, err = await studybot_once("stats", "--now", now, env=env)
    assert code == 0, err
    lines = out.splitlines()
    assert [line.split() for line in lines if line.startswith(("test ", "total"))] == [
        ["test", "group", "1", "0", "0"],
        ["test", "private", "3", "1", "2"],
        ["total", "4", "1", "2"],
    ]
    assert "active today: 3 chats" in out and "done today:   2 days" in out
    assert ["private", "47.6%", "10", "of", "21"] in [line.split() for line in lines]
    assert ["all", "46.4%", "13", "of", "28"] in [line.split() for line in lines]
    assert ["test", "push", "1", "1", "2"] in [line.split() for line in lines]


async def test_stats_names_a_missing_database_and_creates_none(tmp_path: Path) -> None:
    path = tmp_path / "nothing-here.db"
    code, _, err = await studybot_once("stats", env=studybot_env(database_url=f"sqlite:///{path}"))
    assert code == 2 and "studybot migrate" in err and "Traceback" not in err
    assert not path.exists()


async def test_stats_on_an_unreachable_server_says_so_without_the_password(tmp_path: Path) -> None:
    url = f"postgresql://studybot:{PASSWORD}@127.0.0.1:1/studybot"
    code, out, err = await studybot_once("stats", env=studybot_env(database_url=url))
    assert code == 1 and "unreachable" in err and "STUDYBOT_DATABASE_URL" in err
    assert PASSWORD not in out + err and "Traceback" not in err
