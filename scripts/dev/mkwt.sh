#!/usr/bin/env bash
# Make a helper's worktree: /work/wt-NAME on branch NAME (from BASE, default main), its own venv
# (a copy of /work/venv rewired to the worktree) and its own PostgreSQL database payvand_NAME.
# Usage: scripts/dev/mkwt.sh NAME [BASE]   (needs /work/venv: python3 -m venv /work/venv &&
# /work/venv/bin/pip install -e '/work/main[test,bench]')
set -euo pipefail
name=$1; base=${2:-main}
wt=/work/wt-$name; venv=/work/venv-$name
git -C /work/main worktree add -b "$name" "$wt" "$base"
cp -a /work/venv "$venv"
grep -rl --null '/work/main' "$venv/lib"/python3*/site-packages/__editable__* "$venv/lib"/python3*/site-packages/*.pth "$venv/bin" 2>/dev/null \
    | xargs -0 -r sed -i "s#/work/main#$wt#g"
grep -rl --null '/work/venv/' "$venv/bin" | xargs -0 -r sed -i "s#/work/venv/#$venv/#g"
sed -i "s#/work/venv\$#$venv#; s#/work/venv\"#$venv\"#" "$venv/bin/activate" || true
psql -h 127.0.0.1 -U postgres -d test -tAc "SELECT 1 FROM pg_database WHERE datname='payvand_$name'" | grep -q 1 \
    || psql -h 127.0.0.1 -U postgres -d test -qc "CREATE DATABASE payvand_$name"
echo "worktree $wt  venv $venv  db postgresql+psycopg://postgres@127.0.0.1:5432/payvand_$name"
