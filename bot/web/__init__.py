"""The process's small web server: /healthz, /metrics and the platforms' webhooks in one ASGI app (FastAPI on
uvicorn, in the process's own event loop). The composition root hands it what it reports on; it imports only the
core, never an adapter, the store or the scheduler."""
