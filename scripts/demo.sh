#!/usr/bin/env bash
# The main job, with no modem attached: builds st87shim, starts st87-fakemodem and a web
# server on 127.0.0.1, and fetches a file with an unchanged curl through the shim.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh build
bash scripts/fetch-over-fakemodem.sh build/tests/fakemodem/st87-fakemodem build/src/shim/st87run --baud 921600
