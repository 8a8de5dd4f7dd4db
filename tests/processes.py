"""`studybot` as a separate process, as operators run it: a clean environment of STUDYBOT_* settings, its output
kept in a log, stopped by SIGTERM or killed, and never left running after a test."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from pathlib import Path
from types import TracebackType


def studybot_env(**settings: str) -> dict[str, str]:
    """This process's environment without any STUDYBOT_* of its own, plus `settings` (name -> STUDYBOT_NAME)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("STUDYBOT_")}
    env.update({f"STUDYBOT_{name.upper()}": value for name, value in settings.items()})
    return env


class Studybot:
    """`async with Studybot(["run"], env, log) as bot:` runs `studybot run` until the block ends."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.args = args
        self.env = env
        self.log = log
        self.process: asyncio.subprocess.Process | None = None

    async def __aenter__(self) -> Studybot:
        with self.log.open("ab") as out:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", *self.args, env=self.env, stdout=out, stderr=out, cwd=self.log.parent
            )
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.kill()
            await self.process.wait()

    async def stop(self, timeout: float = 15) -> tuple[int, float]:  # noqa: ASYNC109 - a deadline reads better here
        """SIGTERM, as an operator stops it; its exit code and how long it took to exit."""
        assert self.process is not None
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(self.process.wait(), timeout=timeout)
        return code, time.monotonic() - started

    async def kill(self) -> None:
        """kill -9: no chance to write anything more."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        await self.process.wait()

    @property
    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


async def studybot_once(*args: str, env: dict[str, str], timeout: float = 60) -> tuple[int, str, str]:  # noqa: ASYNC109
    """Run a command that ends by itself (`deliver`, `migrate`, or a `run` that refuses to start): exit code,
    standard output and standard error."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=timeout)
    assert process.returncode is not None
    return process.returncode, out.decode(errors="replace"), err.decode(errors="replace")
