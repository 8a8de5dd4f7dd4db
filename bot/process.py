"""What a studybot process sets for the whole interpreter, once, at its entry point (`bot.cli`), never on import:
a library imported by tests or by another program keeps its defaults."""

from __future__ import annotations

import gc
import os
import sys

# aiosqlite runs every statement on its own thread, which needs the GIL to hand each result back; under the
# default 5 ms switch interval a busy event loop made each such hop wait up to 5 ms (measured: a fan-out went
# from 170 to ~300 msg/s at 0.2 ms, with SQLite's commits four times faster).
GIL_SWITCH_SECONDS = 0.0002
_configured = False
YOUNG_OBJECTS = 20_000  # allocations between collections of the youngest generation (Python's default: 700)


def configure_process() -> None:
    global _configured
    _configured = True
    if sys.getswitchinterval() > GIL_SWITCH_SECONDS:
        sys.setswitchinterval(GIL_SWITCH_SECONDS)
    # python-telegram-bot 22 warns on every RetryAfter unless told to give `retry_after` as a timedelta (its
    # documented switch); the gateway reads either form.
    os.environ.setdefault("PTB_TIMEDELTA", "1")


def settle_start_up() -> None:
    """Once a process has started (modules, plan, adapters built): keep what start-up made out of the collector.

    Python's full collections walk every tracked object, and start-up leaves hundreds of thousands (modules, the
    plan, SQLAlchemy's and python-telegram-bot's classes) that live as long as the process; a full collection
    then paused the process 60-130 ms, inside every slow delivery claim (benchmarks/README.md, benchmark 3).
    Frozen, they are never walked again: the same collections take ~2-4 ms. And the youngest generation is
    collected every YOUNG_OBJECTS allocations instead of 700: a claim of 1,000 allocates ~10,000 objects that live
    until it ends, and walking them a dozen times over cost ~3 ms a claim (now ~0.2 ms). Only in a process whose
    entry point called configure_process(); a test's interpreter keeps collecting everything."""
    if _configured:
        gc.collect()
        gc.freeze()
        gc.set_threshold(YOUNG_OBJECTS, *gc.get_threshold()[1:])
