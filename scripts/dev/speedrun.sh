#!/usr/bin/env bash
# Whole suite with timing, as docs/dev/test-speed.md describes, with CI's workers (.ci/run).
# Usage: scripts/dev/speedrun.sh LABEL CHECKOUT VENV [DBNAME]  -> /tmp/speed-LABEL.{log,xml,time}
set -uo pipefail
label=$1; dir=$2; venv=$3; db=${4:-payvand_speed}
export PAYVAND_TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/$db
export PAYVAND_TEST_REDIS_URL=redis://127.0.0.1:6379/15
cd "$dir"
/usr/bin/time -v -o /tmp/speed-$label.time "$venv/bin/python" -m pytest -q -n 3 --dist worksteal -p no:cacheprovider \
    --junitxml=/tmp/speed-$label.xml > /tmp/speed-$label.log 2>&1
pkill -f /usr/lib/chromium/chromium || true
tail -1 /tmp/speed-$label.log; grep -E "Elapsed|User time|System time" /tmp/speed-$label.time
