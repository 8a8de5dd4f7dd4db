"""What a studybot process sets for the whole interpreter, once, at its entry point (`bot.cli`), never on import:
a library imported by tests or by another program keeps its defaults."""

from __future__ import annotations

import os
import sys

# aiosqlite runs every statement on its own thread, which needs the GIL to hand each result back; under the
# default 5 ms switch interval a busy event loop made each such hop wait up to 5 ms (measured: a fan-out went
# from 170 to ~300 msg/s at 0.2 ms, with SQLite's commits four times faster).
GIL_SWITCH_SECONDS = 0.0002


def configure_process() -> None:
    if sys.getswitchinterval() > GIL_SWITCH_SECONDS:
        sys.setswitchinterval(GIL_SWITCH_SECONDS)
    # python-telegram-bot 22 warns on every RetryAfter unless told to give `retry_after` as a timedelta (its
    # documented switch); the gateway reads either form.
    os.environ.setdefault("PTB_TIMEDELTA", "1")
