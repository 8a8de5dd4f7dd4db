"""The fake Telegram Bot API (tests/fakes) in a process of its own, so that it does not share the bot's CPU.

It prints one JSON line with its root URL, then answers one JSON line per command read on stdin.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from bisect import bisect_left
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.fakes.telegram_server import FakeTelegram

Params = dict[str, Any]


class BenchTelegram(FakeTelegram):
    """Keeps only what the benchmarks read: when each message was accepted, per group, and reply latency."""

    def __init__(self, *args: Any, count_chats: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, record_messages=False, **kwargs)
        # Messages accepted per chat, when asked for: whether any chat got a push twice (benchmarks/peak.py).
        # With `count_chats`, the start of what each chat was sent: what went twice (benchmarks/peak.py).
        self.count_chats = count_chats
        self.first_lines: dict[str, list[str]] = {}
        self.sent_at: list[float] = []
        self.group_sent_at: dict[int, list[float]] = {}
        self.fed_at: dict[int, float] = {}
        self.round_trips: list[float] = []
        self.first_poll: float | None = None
        self.feeding = 0
        self.per_chat: dict[str, int] = {}  # accepted sends per chat: who got a message twice (benchmarks/recovery.py)

    def _record(self, method: str, params: Params, status: int = 200, error: str | None = None) -> None:
        super()._record(method, params, status, error)
        now = time.monotonic()
        if method == "getUpdates" and self.first_poll is None:
            self.first_poll = now
        if status != 200 or not method.startswith("send"):
            return
        self.sent_at.append(now)
        chat = params.get("chat_id")
        self.per_chat[str(chat)] = self.per_chat.get(str(chat), 0) + 1
        if self.count_chats:
            self.first_lines.setdefault(str(chat), []).append(f"{method}: {str(params.get('text', ''))[:60]}")
        if isinstance(chat, int) and chat < 0:
            self.group_sent_at.setdefault(chat, []).append(now)
        elif isinstance(chat, int) and (fed := self.fed_at.pop(chat, None)) is not None:
            self.round_trips.append(now - fed)

    def reset(self) -> None:
        self.counts.clear()
        self.rejected_429 = 0
        self.paid_messages = 0
        self.sent_at.clear()
        self.group_sent_at.clear()
        self.fed_at.clear()
        self.round_trips.clear()
        self.per_chat.clear()
        self.first_poll = None
        self.first_lines.clear()
        # Per-chat message counters and chat records would otherwise grow with every repetition.
        self._next_message_id.clear()
        self._chats.clear()
        self._users.clear()

    async def feed(self, items: list[list[Any]], rate: float | None) -> None:
        """Inject commands [chat_id, user_id, text]; all at once, or `rate` per second on a steady clock."""
        self.feeding += 1
        try:
            start = time.monotonic()
            for index, (chat_id, user_id, text) in enumerate(items):
                if rate:
                    delay = start + index / rate - time.monotonic()
                    if delay > 0:
                        await asyncio.sleep(delay)
                chat_type = "group" if chat_id < 0 else "private"
                if chat_id > 0:
                    self.fed_at[chat_id] = time.monotonic()
                self.send_command(chat_id, text, user_id=user_id, chat_type=chat_type)
        finally:
            self.feeding -= 1

    def stats(self) -> Params:
        sent = self.sent_at
        return {
            "counts": dict(self.counts),
            "rejected_429": self.rejected_429,
            "sent": len(sent),
            "first_sent": sent[0] if sent else None,
            "last_sent": sent[-1] if sent else None,
            "max_per_second": _max_in_window(sent, 1.0),
            "max_group_per_minute": max((_max_in_window(t, 60.0) for t in self.group_sent_at.values()), default=0),
            "group_messages": sum(len(t) for t in self.group_sent_at.values()),
            "round_trips": self.round_trips,
            "first_poll": self.first_poll,
            "pending_updates": self.pending_updates,
            "feeding": self.feeding,
            "paid_messages": self.paid_messages,
            **({} if not self.count_chats else {
                "chats": len(self.per_chat), "chats_twice": sum(1 for n in self.per_chat.values() if n > 1),
                "twice_examples": [self.first_lines[c] for c, n in self.per_chat.items() if n > 1][:3],
            }),
        }  # fmt: skip

    def sent_between(self, start: float, end: float) -> int:
        return bisect_left(self.sent_at, end) - bisect_left(self.sent_at, start)


def _max_in_window(times: list[float], span: float) -> int:
    """The most events in any half-open window of `span` seconds (times are in arrival order)."""
    best, low = 0, 0
    for high, t in enumerate(times):
        while times[low] <= t - span:
            low += 1
        best = max(best, high - low + 1)
    return best


async def serve(args: argparse.Namespace) -> None:
    server = BenchTelegram(
        args.token, global_rate=args.global_rate, group_rate_per_min=args.group_rate, count_chats=args.count_chats
    )
    tasks: set[asyncio.Task[None]] = set()
    async with server:
        print(json.dumps({"root": server.root, "token": server.token}), flush=True)
        while line := await asyncio.to_thread(sys.stdin.readline):
            command = json.loads(line)
            op = command.pop("op")
            answer: Params = {"ok": True}
            if op == "stats":
                answer = server.stats()
            elif op == "sent":
                # What a waiting benchmark polls: the full stats carry every round trip, too much to poll.
                answer = {"sent": len(server.sent_at)}
            elif op == "chats":
                # How many chats got a message, when the last was accepted, and (with `counts`) how many each got.
                answer = {"chats": len(server.per_chat), "sent": len(server.sent_at),
                          "last_sent": server.sent_at[-1] if server.sent_at else None}  # fmt: skip
                if command.get("counts"):
                    answer["counts"] = server.per_chat
            elif op == "window":
                answer = {"sent": server.sent_between(command["start"], command["end"])}
            elif op == "reset":
                server.reset()
            elif op == "route":
                # Webhook updates go to this web server, `concurrency` POSTs at once (benchmarks/webhook.py).
                await server.route_webhook(command["target"], concurrency=command.get("concurrency", 1))
            elif op == "feed":
                task = asyncio.create_task(server.feed(command["items"], command.get("rate")))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
            elif op == "quit":
                print(json.dumps(answer), flush=True)
                break
            else:
                answer = {"ok": False, "error": f"unknown op {op!r}"}
            print(json.dumps(answer), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--token", default="123456:BENCH-token")
    parser.add_argument("--global-rate", type=float, default=None, help="429 beyond this many sends per second")
    parser.add_argument("--group-rate", type=int, default=None, help="429 beyond this many sends per group a minute")
    parser.add_argument("--count-chats", action="store_true", help="count the messages each chat was sent")
    asyncio.run(serve(parser.parse_args()))


if __name__ == "__main__":
    main()
