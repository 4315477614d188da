#!/bin/sh
# Check that the data volume is usable, then seed the knowledge folder on it, once.
# Why only once: after the first start the folder belongs to the moderators
# (/kb add, /kb remove, files dropped in the volume); an image upgrade must not
# overwrite or resurrect their articles.
# Why the check: a host folder mounted at /data that belongs to root (the usual
# `-v /srv/storybot:/data` without a chown) would otherwise end in a raw
# "mkdir: cannot create directory: Permission denied" or a database error.
set -eu
KNOWLEDGE="${STORYBOT_KNOWLEDGE_DIR:-/data/knowledge}"
SEED="${STORYBOT_SEED_DIR:-/app/knowledge}"
DB="${STORYBOT_DB:-/data/storybot.db}"
DATA="$(dirname "$DB")"

fail() {
    echo "storybot: $*" >&2
    exit 2
}

not_writable() {
    fail "$1 is not writable by uid $(id -u) (the container's user). Give the volume to that user: \
\`sudo chown -R $(id -u):$(id -g) /path/on/host\` for a host folder mounted at $DATA, \
or use a named volume (-v storybot-data:$DATA)."
}

[ -d "$DATA" ] || fail "$DATA does not exist; mount a volume there (-v storybot-data:$DATA)"
# -w alone trusts the permission bits; a real write also catches read-only mounts.
probe="$DATA/.storybot-write-test.$$"
if ! ( : > "$probe" ) 2>/dev/null; then
    not_writable "$DATA"
fi
rm -f "$probe"

if [ ! -e "$KNOWLEDGE" ]; then
    mkdir -p "$KNOWLEDGE" 2>/dev/null || not_writable "$(dirname "$KNOWLEDGE")"
    if [ -d "$SEED" ]; then
        # -p keeps timestamps; a seed file never replaces one already there.
        for f in "$SEED"/*; do
            [ -f "$f" ] || continue
            cp -p "$f" "$KNOWLEDGE/"
        done
    fi
    echo "storybot: seeded $KNOWLEDGE from $SEED" >&2
elif [ ! -w "$KNOWLEDGE" ]; then
    not_writable "$KNOWLEDGE"
fi
# exec: the bot becomes PID 1 and receives `docker stop`'s SIGTERM itself (clean exit 0).
exec "$@"
