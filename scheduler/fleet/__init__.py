"""Delivery across machines on procrastinate (PostgreSQL's task queue): a periodic planner claims what is due and
defers send jobs that carry the claims' ids; `studybot worker` processes, on any number of machines, run them. One
worker at a time sends for a bot token (a procrastinate lock per token), so the fleet keeps one rate budget per
token. The claim and send steps are the single-process pass's own (`scheduler.claiming`, `scheduler.crew`).

Nothing outside this package imports procrastinate.
"""
