#!/bin/sh
# Renders one man page as man(1) shows it and as groff checks it; any warning fails.
# Usage: check-man.sh PAGE
set -eu
page=$1
warnings=$(mktemp)
trap 'rm -f "$warnings"' EXIT

# man -l: what a reader sees; --warnings turns on every groff warning.
MANWIDTH=80 LC_ALL=C.UTF-8 man --warnings=w -E UTF-8 -l "$page" 2>"$warnings" >/dev/null
# groff -ww -z: the same checks without man's preprocessing, at its own line width.
groff -man -ww -z "$page" 2>>"$warnings"
if [ -s "$warnings" ]; then
  echo "$page: warnings:" >&2
  cat "$warnings" >&2
  exit 1
fi
echo "ok $page"
