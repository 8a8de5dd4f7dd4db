# studybot's production image: `studybot run` by default; compose.yaml runs `studybot migrate` and `studybot worker`
# from the same image.
#   docker build -t studybot .
#   docker run -e STUDYBOT_TELEGRAM_TOKEN=... -v studybot-data:/data studybot
# The base is an exact Python release. To pin its digest too, append what
# `docker buildx imagetools inspect python:3.11.13-slim-bookworm` prints, as python:3.11.13-slim-bookworm@sha256:...
# tests/test_containers.py checks this file's structure (no Docker engine runs in CI).
FROM python:3.11.13-slim-bookworm AS build
WORKDIR /src
COPY pyproject.toml README.md LICENSE ./
COPY bot bot
COPY scheduler scheduler
COPY curriculum curriculum
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11.13-slim-bookworm
# A CJK font so Chinese labels in the progress pictures render as text, not '?'.
RUN apt-get update && apt-get install -y --no-install-recommends fonts-wqy-microhei \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
# A fixed non-root user, so that a volume belongs to the same uid in every container made from this image.
RUN groupadd --system --gid 10001 studybot \
    && useradd --system --uid 10001 --gid studybot --home-dir /data --no-create-home studybot \
    && mkdir /data && chown studybot:studybot /data
# The web server (/healthz, /metrics, the webhook) listens on every address of the container's own network; what is
# reachable from outside is what `docker run -p` or compose publishes.
ENV PYTHONUNBUFFERED=1 \
    STUDYBOT_DATABASE_URL=sqlite+aiosqlite:////data/studybot.db \
    STUDYBOT_WEB_HOST=0.0.0.0 \
    STUDYBOT_WEB_PORT=8080
# The SQLite database lives here (a PostgreSQL deployment leaves it empty).
VOLUME /data
WORKDIR /data
USER studybot
EXPOSE 8080
# /healthz answers 200 while the process is healthy and 503 when not; urllib raises on a 503 or on no answer,
# so the check fails and Docker marks the container unhealthy.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ['STUDYBOT_WEB_PORT'] + '/healthz', timeout=4)"
CMD ["studybot", "run"]
