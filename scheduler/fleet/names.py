"""The names the fleet's workers agree on: the queue, the tasks, and the lock that lets one worker at a time send for
a bot token. A lock holds a fingerprint of the token, never the token: lock names are stored and logged."""

from __future__ import annotations

import hashlib

QUEUE = "studybot"
PLAN = "studybot.plan"
SEND = "studybot.send"
RECOVER = "studybot.recover"
# One planner at a time, and at most one more waiting.
PLAN_LOCK = "studybot-plan"


def fingerprint(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()[:16]


def send_lock(platform: str, token: str) -> str:
    return f"studybot-send:{platform}:{fingerprint(token)}"
