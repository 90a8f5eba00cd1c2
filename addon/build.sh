#!/bin/sh
# Build the mmap addon against the local Node headers (no download).
set -e
cd "$(dirname "$0")"
GYP=../node_modules/.bin/node-gyp
[ -x "$GYP" ] || { echo "addon: node-gyp missing (run npm ci first)" >&2; exit 1; }
if [ -f /usr/include/node/node_api.h ]; then NODEDIR=--nodedir=/usr; else NODEDIR=; fi
"$GYP" rebuild $NODEDIR --loglevel=warn
