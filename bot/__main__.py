"""Lets `python -m bot` work like the `studybot` command."""

from bot.cli import main

main()
