"""The Dockerfile, compose.yaml, .env.example and .dockerignore, checked as far as they can be without a Docker engine:
their structure, every `studybot` subcommand and STUDYBOT_* setting they name against the code, no secret in them,
and the wheel the image installs, built from exactly the files the Dockerfile copies."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deployment import (
    COMING_COMMANDS,
    COMING_SETTINGS,
    ROOT,
    SETTING,
    dockerfile,
    dockerignore,
    env_of,
    ignored,
    require_setting,
    require_studybot_command,
    settings,
    subcommands,
)

COMPOSE = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
SERVICES: dict[str, Any] = COMPOSE["services"]
STUDYBOT_SERVICES = {name: svc for name, svc in SERVICES.items() if svc.get("image", "").startswith("studybot")}
INSTRUCTIONS = dockerfile()
FINAL = [i for i in INSTRUCTIONS if i.stage == max(j.stage for j in INSTRUCTIONS)]
PINNED_PYTHON = re.compile(r"python:3\.11\.\d+-slim(-[a-z]+)?(@sha256:[0-9a-f]{64})?")
PINNED = re.compile(r"[\w./-]+:\d+(\.\d+)+[\w.-]*(@sha256:[0-9a-f]{64})?")


def named_settings() -> list[str]:
    """Every STUDYBOT_* the deployment files name: compose.yaml, .env.example (commented examples too), Dockerfile."""
    found: set[str] = set()
    for name in ("compose.yaml", ".env.example", "Dockerfile"):
        found |= set(SETTING.findall((ROOT / name).read_text(encoding="utf-8")))
    return sorted(found)


def commands() -> list[tuple[str, list[str]]]:
    """Each command line the image or a compose service runs."""
    [cmd] = [i for i in FINAL if i.keyword == "CMD"]
    found = [("Dockerfile CMD", list(yaml.safe_load(cmd.arguments)))]
    found += [(f"compose {name}", list(service["command"])) for name, service in STUDYBOT_SERVICES.items()]
    return found


@pytest.mark.parametrize("where, words", commands(), ids=[where for where, _ in commands()])
def test_every_command_run_is_a_real_subcommand(where: str, words: list[str]) -> None:
    require_studybot_command(words)


@pytest.mark.parametrize("name", named_settings())
def test_every_setting_named_is_a_real_setting(name: str) -> None:
    require_setting(name)


def test_no_name_waits_for_a_branch_that_has_landed() -> None:
    landed = sorted({*COMING_COMMANDS} & subcommands()) + sorted({*COMING_SETTINGS} & settings())
    assert landed == [], f"remove from tests/deployment.py's COMING_*: {landed}"


def test_dockerfile_pins_python_keeps_data_in_a_volume_and_runs_as_someone_else() -> None:
    images = [i.words()[0] for i in INSTRUCTIONS if i.keyword == "FROM"]
    assert images and all(PINNED_PYTHON.fullmatch(image) for image in images), images
    assert [i.words() for i in FINAL if i.keyword == "VOLUME"] == [["/data"]]
    env = {k: v for i in FINAL if i.keyword == "ENV" for k, v in env_of(i).items()}
    assert env["STUDYBOT_DATABASE_URL"].endswith("////data/studybot.db")  # the SQLite file inside the volume
    assert env["STUDYBOT_WEB_HOST"] == "0.0.0.0"  # the container's own network: compose decides what is published
    [user] = [i.words()[0] for i in FINAL if i.keyword == "USER"]
    assert user not in ("root", "0")
    created = " ".join(i.arguments for i in FINAL if i.keyword == "RUN")
    assert f"useradd --system --uid 10001 --gid {user}" in created and f"chown {user}:{user} /data" in created
    # The progress pictures need a CJK font for Chinese labels.
    assert "fonts-wqy-microhei" in created


def test_the_health_check_asks_healthz_on_the_configured_port_with_what_the_image_has() -> None:
    [check] = [i for i in FINAL if i.keyword == "HEALTHCHECK"]
    words = check.words()
    command = words[words.index("CMD") + 1 :]
    assert command[:2] == ["python", "-c"]
    code = command[2]
    compile(code, "HEALTHCHECK", "exec")  # python is the one tool every image made from python:* has
    assert "/healthz" in code and "os.environ['STUDYBOT_WEB_PORT']" in code and "127.0.0.1" in code
    env = {k: v for i in FINAL if i.keyword == "ENV" for k, v in env_of(i).items()}
    [exposed] = [i.words() for i in FINAL if i.keyword == "EXPOSE"]
    assert exposed == [env["STUDYBOT_WEB_PORT"]]
    assert all(f"--{option}=" in check.arguments for option in ("interval", "timeout", "start-period", "retries"))


def test_compose_starts_postgres_a_migration_the_bot_and_two_workers() -> None:
    assert set(SERVICES) == {"postgres", "migrate", "bot", "worker"}
    postgres = SERVICES["postgres"]
    assert PINNED.fullmatch(postgres["image"]) and postgres["image"].startswith("postgres:")
    assert postgres["healthcheck"]["test"][0] == "CMD-SHELL" and "pg_isready" in postgres["healthcheck"]["test"][1]
    assert postgres["command"] == ["postgres", "-c", "wal_compression=lz4"]  # the image's own server, tuned
    [volume] = postgres["volumes"]
    name, path = volume.split(":")
    assert name in COMPOSE["volumes"] and path == "/var/lib/postgresql/data"  # a named volume, not a bind mount

    migrate = SERVICES["migrate"]
    assert migrate["command"] == ["studybot", "migrate"] and migrate["restart"] == "no"
    assert migrate["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    assert migrate["healthcheck"] == {"disable": True}  # one-shot: it serves nothing

    for name in ("bot", "worker"):
        service = SERVICES[name]
        assert service["depends_on"] == {"migrate": {"condition": "service_completed_successfully"}}
        assert service["restart"] == "unless-stopped"
        assert "healthcheck" not in service  # the image's HEALTHCHECK on /healthz applies
    assert SERVICES["bot"]["command"] == ["studybot", "run"]
    assert SERVICES["worker"]["command"] == ["studybot", "worker"]
    assert SERVICES["worker"]["deploy"]["replicas"] == 2
    assert SERVICES["bot"]["ports"] == ["${BOT_PUBLISH:-127.0.0.1:8080}:8080"]  # the webhook's way in


def test_compose_is_configured_by_environment_variables_and_holds_no_secret() -> None:
    for name, service in STUDYBOT_SERVICES.items():
        assert service["env_file"] == ".env", name
        url = service["environment"]["STUDYBOT_DATABASE_URL"]
        assert url.startswith("postgresql+psycopg://") and "@postgres:5432/" in url
        assert "${POSTGRES_PASSWORD:?" in url  # no default password: compose refuses to start without one
    assert SERVICES["postgres"]["environment"]["POSTGRES_PASSWORD"].startswith("${POSTGRES_PASSWORD:?")
    text = (ROOT / "compose.yaml").read_text(encoding="utf-8")
    for line in text.splitlines():
        key, _, value = line.strip().partition(":")
        if re.search(r"PASSWORD|TOKEN|SECRET", key) and value.strip():
            assert value.strip().startswith("${"), line
    assert not re.search(r"\d{6,}:[A-Za-z0-9_-]{30,}", text)  # a Telegram token's shape
    # Webhook mode is .env's choice (both variables), polling when they are unset.
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    assert "# STUDYBOT_TELEGRAM_WEBHOOK_URL=" in example and "# STUDYBOT_TELEGRAM_WEBHOOK_SECRET=" in example
    assert re.findall(r"^(\w+)=(.+)$", example, flags=re.MULTILINE) == []  # every secret left empty


def test_dockerignore_keeps_secrets_databases_and_the_virtualenv_out_and_the_sources_in() -> None:
    rules = dockerignore()
    kept_out = [".env", ".env.production", "deploy/.env", "studybot.db", "data/studybot.db-wal", "x.db-shm",
                ".venv/bin/python", ".git/config", "bot/__pycache__/x.pyc", "tests/test_cli.py"]  # fmt: skip
    assert [path for path in kept_out if not ignored(path, rules)] == []
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    copied = [i.words()[:-1] for i in INSTRUCTIONS if i.keyword == "COPY" and not i.arguments.startswith("--from")]
    sources = [source for words in copied for source in words]
    needed = [path for path in tracked if any(path == s or path.startswith(s + "/") for s in sources)]
    assert {"pyproject.toml", "README.md", "LICENSE", "bot/cli.py"} <= set(needed)
    assert [path for path in needed if ignored(path, rules)] == []


def test_the_matcher_reads_patterns_as_docker_does() -> None:
    rules = [(False, re.compile(r"[^/]*\.db")), (False, re.compile(r"(?:.*/)?\.env"))]
    assert ignored("a.db", rules) and not ignored("data/a.db", rules)  # a bare pattern is rooted
    assert ignored(".env", rules) and ignored("x/y/.env", rules) and not ignored(".envrc", rules)


@pytest.mark.slow
def test_the_wheel_the_image_installs_builds_from_what_the_dockerfile_copies(tmp_path: Path) -> None:
    """The build stage's context, as Docker would send it, builds a wheel that holds what `studybot` needs at run
    time: migrations, translations, the plan, the command."""
    context, rules = tmp_path / "context", dockerignore()
    build = [i for i in INSTRUCTIONS if i.stage == 0]
    for instruction in (i for i in build if i.keyword == "COPY"):
        *sources, _ = instruction.words()
        for source in sources:
            _copy(ROOT / source, context / source, rules)
    [run] = [i.words() for i in build if i.keyword == "RUN"]
    assert run == ["pip", "wheel", "--no-cache-dir", "--wheel-dir", "/wheels", "."]
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "--wheel-dir",
         str(tmp_path / "wheels"), str(context)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    [wheel] = (tmp_path / "wheels").glob("studybot-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    versions = ROOT / "bot/store/migrations/versions"
    migrations = {f"bot/store/migrations/versions/{p.name}" for p in versions.glob("*.py")}
    assert migrations and migrations <= names
    assert {"bot/locales/zh/LC_MESSAGES/studybot.po", "curriculum/data/en.yaml", "curriculum/data/zh.yaml",
            "bot/store/migrations/env.py", "bot/store/migrations/script.py.mako"} <= names  # fmt: skip
    assert not any(name.startswith(("tests/", "benchmarks/")) for name in names)
    dist = next(name.split("/")[0] for name in names if name.endswith(".dist-info/METADATA"))
    entry_points = zipfile.ZipFile(wheel).read(f"{dist}/entry_points.txt").decode()
    assert "studybot = bot.cli:main" in entry_points
    assert f"{dist}/licenses/LICENSE" in names


def _copy(source: Path, target: Path, rules: list[tuple[bool, re.Pattern[str]]]) -> None:
    paths = [source] if source.is_file() else [p for p in source.rglob("*") if p.is_file()]
    for path in paths:
        relative = path.relative_to(ROOT).as_posix()
        if ignored(relative, rules):
            continue
        destination = target / path.relative_to(source) if source.is_dir() else target
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, destination)

