# StoryBot: the Discord bot in a small image.
#   docker build -t storybot .
#   docker run -d --name storybot --env-file .env -v storybot-data:/data storybot
#   docker run --rm storybot python -m bot ask "Who is ByteDance?"   # the CLI, no token
#   docker build --target test .      # the README's test command, in a throw-away stage
# The knowledge folder and the database live on the /data volume; the first start
# seeds /data/knowledge from the articles baked into the image.

# The README's test command, run on a copy of the source (only built with --target test).
FROM python:3.11-slim AS test
WORKDIR /src
COPY . .
RUN python3 -m venv .venv && . .venv/bin/activate && pip install -e ".[test]" && python -m pytest -q

# The runtime image (the default target).
FROM python:3.11-slim AS runtime

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Dependencies and the package (no editable install, no test extras).
COPY pyproject.toml README.md ./
COPY bot ./bot
RUN pip install . && rm -rf /app/bot /app/build /app/*.egg-info

# The seed articles and the entrypoint that copies them onto the volume once.
COPY knowledge ./knowledge
COPY docker/entrypoint.sh /usr/local/bin/storybot-entrypoint

# A non-root user owning only /data.
RUN useradd --system --uid 10001 --create-home --home-dir /home/storybot storybot \
    && mkdir -p /data \
    && chown storybot:storybot /data \
    && chmod 0755 /usr/local/bin/storybot-entrypoint

ENV STORYBOT_DB=/data/storybot.db \
    STORYBOT_KNOWLEDGE_DIR=/data/knowledge \
    STORYBOT_SEED_DIR=/app/knowledge

USER storybot
WORKDIR /data
VOLUME ["/data"]

ENTRYPOINT ["/usr/local/bin/storybot-entrypoint"]
CMD ["python", "-m", "bot", "run"]
