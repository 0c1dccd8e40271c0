#!/bin/sh
# deps.sh - install the Debian packages sluice builds, tests and runs with, if any is missing.
# Called by `make run`, `make test`, `make check`, `make bench` and `make fuzz`; idempotent and
# quiet when everything is present. postgresql: the tests start a throwaway server of their own
# (tests/pg/pg.sh); the package's own cluster service is not needed and not started here.
# chromium: the dashboard's browser test (tests/e2e/test_dashboard.py, headless).
set -eu

PKGS="build-essential pkg-config clang libclang-rt-14-dev
libuv1-dev libhttp-parser-dev libssl-dev libsqlite3-dev sqlite3 libpq-dev postgresql
zlib1g-dev libzstd-dev liblz4-dev libbz2-dev liblzo2-dev libsnappy-dev libcriterion-dev
curl python3 openssl python3-protobuf protobuf-compiler zstd lz4 tzdata lzop
chromium"
[ "${1:-}" = "--with-bench" ] && PKGS="$PKGS bc clickhouse-server clickhouse-client"

missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

SUDO=""
[ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && SUDO="sudo"
echo "deps: installing$missing"
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
# shellcheck disable=SC2086
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
