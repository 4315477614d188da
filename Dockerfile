# StoryBot: the Discord bot in a small image.
#   docker build -t storybot .
#   docker run -d --name storybot --env-file .env -v storybot-data:/data storybot
#   docker run --rm storybot python -m bot ask "Who is ByteDance?"   # the CLI, no token
#   docker build --target test .      # the test suite, in a throw-away stage
# The knowledge folder and the database live on the /data volume; the first start
# seeds /data/knowledge from the articles baked into the image.
#
# Layers, from least to most often changed: the pinned dependencies (only
# pyproject.toml's runtime list, versions from requirements.lock), then the code.
# A code change rebuilds only the last layers; the ~100 MB of wheels stay cached.

ARG PYTHON_IMAGE=python:3.11-slim

# --- dependencies only (no code yet) ---------------------------------------------------
FROM ${PYTHON_IMAGE} AS deps
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /build
COPY pyproject.toml requirements.lock ./
COPY tools/runtime_deps.py ./tools/
RUN python tools/runtime_deps.py pyproject.toml > runtime-requirements.txt \
    && pip install --prefix=/install -r runtime-requirements.txt -c requirements.lock

# --- the test suite: the pinned test environment, then the code (only with --target test) ---
FROM ${PYTHON_IMAGE} AS test
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml requirements.lock ./
RUN pip install -r requirements.lock
COPY . .
RUN pip install --no-deps -e . && python -m pytest -q -p no:cacheprovider

# --- the runtime image (the default target) -------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# A non-root user owning only /data.
RUN useradd --system --uid 10001 --create-home --home-dir /home/storybot storybot \
    && mkdir -p /data \
    && chown storybot:storybot /data

# The dependencies, from their own cached stage.
COPY --from=deps /install /usr/local

WORKDIR /app
# The package itself: no dependency resolution here (--no-deps), so this layer is small.
COPY pyproject.toml README.md LICENSE ./
COPY bot ./bot
RUN pip install --no-deps . && rm -rf /app/bot /app/build /app/*.egg-info

# The seed articles and the entrypoint that checks /data and copies them onto it once.
COPY knowledge ./knowledge
COPY docker/entrypoint.sh /usr/local/bin/storybot-entrypoint
RUN chmod 0755 /usr/local/bin/storybot-entrypoint

ENV STORYBOT_DB=/data/storybot.db \
    STORYBOT_KNOWLEDGE_DIR=/data/knowledge \
    STORYBOT_SEED_DIR=/app/knowledge

USER storybot
WORKDIR /data
VOLUME ["/data"]

# Healthy = the database reads and the running bot's gateway heartbeat (rewritten
# every 30 s while connected) is under 90 s old. See `python -m bot health`.
HEALTHCHECK --interval=60s --timeout=10s --start-period=90s --retries=3 \
    CMD ["python", "-m", "bot", "health"]

ENTRYPOINT ["/usr/local/bin/storybot-entrypoint"]
CMD ["python", "-m", "bot", "run"]
