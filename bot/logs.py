"""Logging set-up with one rule enforced everywhere: secrets (bot tokens, passwords) never reach a log line."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

MASK = "***"
# A dashboard sign-in link is a credential for half an hour: a debug log of the message that carries it keeps only
# its path.
SIGN_IN = re.compile(r"(/sign-in/)[\w.-]+")
# Secrets a process learns after its logging is set up (the dashboard's key, when the database keeps it).
_LEARNED: set[str] = set()


def mask_secret(value: str) -> None:
    """From now on, every log handler set up by `setup_logging` masks `value` too."""
    if len(value) >= 3:
        _LEARNED.add(value)


class RedactSecrets(logging.Filter):
    """Replaces every known secret in a record's final text (httpx logs request URLs, which hold the token)."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        # Longest first, so a secret that contains another is masked whole; one or two characters would mask
        # ordinary text everywhere.
        self.secrets = sorted({s for s in secrets if len(s) >= 3}, key=len, reverse=True)

    def filter(self, record: logging.LogRecord) -> bool:
        secrets = self.secrets
        if _LEARNED - set(secrets):
            secrets = sorted(set(secrets) | _LEARNED, key=len, reverse=True)
        text = record.getMessage()
        if "/sign-in/" in text:
            text = SIGN_IN.sub(r"\1" + MASK, text)
            record.msg, record.args = text, None
        if not secrets:
            return True
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        exc_text = record.exc_text or ""
        for secret in secrets:
            text = text.replace(secret, MASK)
            exc_text = exc_text.replace(secret, MASK)
        record.msg, record.args = text, None
        record.exc_text = exc_text or None
        return True


def setup_logging(level: str, secrets: Iterable[str] = ()) -> None:
    """Configure the root logger; every handler, present or added later by basicConfig, masks `secrets`."""
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    redact = RedactSecrets(secrets)
    for handler in logging.getLogger().handlers:
        handler.addFilter(redact)
    # httpx logs every request at INFO, one line per message sent: keep that for DEBUG only.
    logging.getLogger("httpx").setLevel(
        logging.DEBUG if logging.getLogger().level <= logging.DEBUG else logging.WARNING
    )
