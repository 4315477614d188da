#!/usr/bin/env bash
# Regenerate requirements.lock: every dependency (runtime, test and bench extras)
# pinned to one version, for Python 3.11 on Linux (the Docker image and CI).
#
# Run it after changing dependencies in pyproject.toml, and commit the result:
#     tools/lock.sh            # keep existing pins where they still fit
#     tools/lock.sh --upgrade  # move every pin to the newest allowed version
#
# Why one file for all: CI installs it whole; the Docker image installs only the
# runtime dependencies (tools/runtime_deps.py) with the lock as constraints, so
# the two never disagree on a version. `pip install -e .` without the lock still
# works: pyproject.toml keeps its ranges.
set -euo pipefail
cd "$(dirname "$0")/.."
TOOLS_VENV="${STORYBOT_LOCK_VENV:-.venv-lock}"
if [ ! -x "$TOOLS_VENV/bin/pip-compile" ]; then
    python3 -m venv "$TOOLS_VENV"
    "$TOOLS_VENV/bin/pip" install -q "pip-tools>=7.4"
fi
# --strip-extras: the lock also serves as a pip constraints file (-c), which may not name extras.
"$TOOLS_VENV/bin/pip-compile" --quiet --strip-extras --no-emit-index-url --no-emit-find-links \
    --extra test --extra bench --output-file requirements.lock "$@" pyproject.toml
echo "requirements.lock: $(grep -c '==' requirements.lock) pinned packages"
