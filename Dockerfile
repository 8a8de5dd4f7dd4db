# studybot in production: `docker run -e STUDYBOT_TELEGRAM_TOKEN=... -v studybot-data:/data studybot`
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot bot
COPY scheduler scheduler
COPY curriculum curriculum
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
# A CJK font so Chinese labels in the progress pictures render as text, not '?'.
RUN apt-get update && apt-get install -y --no-install-recommends fonts-wqy-microhei \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
RUN useradd --create-home studybot && mkdir /data && chown studybot /data
USER studybot
WORKDIR /data
ENV STUDYBOT_DATABASE_URL=sqlite+aiosqlite:////data/studybot.db
CMD ["studybot", "run"]
