#!/usr/bin/env bash
# Build tests/libfuse/famfs_test_server against Debian's libfuse3-dev,
# installing libfuse3-dev and pkg-config first when they are missing (CI runs
# as root on a fresh machine). `make test` calls this.
set -euo pipefail
cd "$(dirname "$0")"
if ! pkg-config --exists fuse3 2>/dev/null; then
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
    echo "tests/libfuse: libfuse3-dev and pkg-config are needed (apt-get install libfuse3-dev pkg-config)" >&2
    exit 1
  fi
  echo "tests/libfuse: installing libfuse3-dev pkg-config" >&2
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libfuse3-dev pkg-config >/dev/null
fi
if [ build/famfs_test_server -nt famfs_test_server.c ] && [ build/famfs_test_server -nt setup.sh ]; then
  exit 0
fi
mkdir -p build
# shellcheck disable=SC2046
cc -O2 -g -Wall -Wextra -Werror -o build/famfs_test_server famfs_test_server.c $(pkg-config --cflags --libs fuse3)
echo "tests/libfuse: built build/famfs_test_server against libfuse $(pkg-config --modversion fuse3)" >&2
