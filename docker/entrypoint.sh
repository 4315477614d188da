#!/bin/sh
# Seed the knowledge folder on the /data volume from the image's copy, once.
# Why only once: after the first start the folder belongs to the moderators
# (/kb add, /kb remove, files dropped in the volume); an image upgrade must not
# overwrite or resurrect their articles.
set -eu
KNOWLEDGE="${STORYBOT_KNOWLEDGE_DIR:-/data/knowledge}"
SEED="${STORYBOT_SEED_DIR:-/app/knowledge}"
if [ ! -e "$KNOWLEDGE" ]; then
    mkdir -p "$KNOWLEDGE"
    if [ -d "$SEED" ]; then
        # -p keeps timestamps; a seed file never replaces one already there.
        for f in "$SEED"/*; do
            [ -f "$f" ] || continue
            cp -p "$f" "$KNOWLEDGE/"
        done
    fi
    echo "storybot: seeded $KNOWLEDGE from $SEED" >&2
fi
# exec: the bot becomes PID 1 and receives `docker stop`'s SIGTERM itself (clean exit 0).
exec "$@"
