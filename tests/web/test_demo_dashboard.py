"""`studybot demo` serves the newcomer's dashboard on this machine and prints the link to it: no token, no setting.
Driven as a newcomer would, in a real process: the link opens their page, and what they do in the terminal shows
there."""

from __future__ import annotations

import asyncio
import contextlib
import re
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx

from tests.processes import studybot_env

LINK = re.compile(r"Your dashboard in a browser: (http://127\.0\.0\.1:\d+/sign-in/\S+)")


class Demo:
    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.seen = ""

    async def until(self, pattern: re.Pattern[str] | str, timeout: float = 30) -> re.Match[str]:  # noqa: ASYNC109
        wanted = re.compile(pattern) if isinstance(pattern, str) else pattern
        assert self.process.stdout is not None
        async with asyncio.timeout(timeout):
            while (found := wanted.search(self.seen)) is None:
                chunk = await self.process.stdout.read(4096)
                assert chunk, f"the demo ended before printing {wanted.pattern!r}:\n{self.seen}"
                self.seen += chunk.decode(errors="replace")
        return found

    async def type(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(line.encode() + b"\n")
        await self.process.stdin.drain()


@contextlib.asynccontextmanager
async def demo(tmp_path: Path) -> AsyncIterator[Demo]:
    env = studybot_env() | {"PYTHONUNBUFFERED": "1", "LANG": "en_US.UTF-8"}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "demo", env=env, cwd=tmp_path, stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    try:
        yield Demo(process)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def test_the_demo_prints_a_link_to_the_newcomers_page(tmp_path: Path) -> None:
    async with demo(tmp_path) as newcomer:
        link = (await newcomer.until(LINK)).group(1)
        root = link.split("/sign-in/")[0]
        await newcomer.until("Try /start")
        await newcomer.type("/subscribe 08:30 Asia/Shanghai")
        await newcomer.until(r"\[1\] ✅ Done")
        await newcomer.type("1")
        await newcomer.until("Day 1 done")
        async with httpx.AsyncClient(follow_redirects=True) as browser:
            page = await browser.get(link)
            assert page.status_code == 200 and str(page.url) == f"{root}/me"
            cells = re.findall(r'<rect class="cell ([a-z_]+)', page.text)
            assert len(cells) == 140 and cells[0] == "today_done"
            assert "Asia/Shanghai" in page.text
            await newcomer.type("/dashboard")
            fresh = (await newcomer.until(r"🔗 Your dashboard: (http://\S+)")).group(1)
            assert fresh.startswith(f"{root}/sign-in/")
        await newcomer.type("/quit")
        assert await asyncio.wait_for(newcomer.process.wait(), 30) == 0
