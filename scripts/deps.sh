#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# deps.sh [--with-test] [--with-deb] [--with-bench] [--with-clickhouse] [--print] - install the Debian packages
# sluice needs, if any is missing. Idempotent and quiet when everything is present.
#
#   (no option)    building and running from a clone: compiler, -dev libraries, tzdata, curl
#                  (make, make run, make install)
#   --with-test    + the test tools: Criterion, Python with protobuf, protoc, clang and its
#                  fuzzer runtime, codec tools, groff, PostgreSQL (the tests start a throwaway
#                  server of their own, tests/pg/pg.sh; the package's cluster service is not
#                  needed), the MySQL protocol's clients (the mysql client, PyMySQL, MariaDB
#                  Connector/J with a JDK to run tests/e2e/mysql/JdbcTour.java), Chromium (the
#                  dashboard's headless browser test, tests/e2e/test_dashboard.py) (make test,
#                  make check, make e2e, make fuzz, make conformance)
#   --with-deb     + Debian's packaging tools (make deb); the package itself depends on the
#                  runtime libraries only, computed by dpkg-shlibdeps (debian/control)
#   --with-bench   + the tools of the benchmarks' reference runs (make bench)
#   --with-clickhouse  + ClickHouse, the benchmarks' reference server (not in Debian itself:
#                  make bench goes on without it when it cannot be installed)
#   --print        print the package list instead of installing it
# Options combine. The build list is the Build-Depends of debian/control (tests/e2e/
# test_release.py checks that the two agree).
set -eu

BUILD="build-essential pkg-config
libuv1-dev libhttp-parser-dev libssl-dev libsqlite3-dev libpq-dev
zlib1g-dev libzstd-dev liblz4-dev libbz2-dev liblzo2-dev libsnappy-dev libbrotli-dev libroaring-dev"
RUN="tzdata curl"
TEST="clang libclang-rt-14-dev libcriterion-dev python3 python3-protobuf protobuf-compiler
sqlite3 openssl zstd lz4 lzop groff-base postgresql chromium
mariadb-client python3-pymysql libmariadb-java default-jdk-headless"
DEB="debhelper dpkg-dev fakeroot"
BENCH="bc sqlite3 python3 postgresql nodejs npm"
CLICKHOUSE="clickhouse-server clickhouse-client"

PKGS="$BUILD $RUN"
print=0
for a in "$@"; do
    case $a in
    --with-test) PKGS="$PKGS $TEST" ;;
    --with-deb) PKGS="$PKGS $DEB" ;;
    --with-bench) PKGS="$PKGS $BENCH" ;;
    --with-clickhouse) PKGS="$PKGS $CLICKHOUSE" ;;
    --print) print=1 ;;
    *) echo "deps.sh: unknown option $a" >&2; exit 2 ;;
    esac
done
if [ $print -eq 1 ]; then
    echo $PKGS
    exit 0
fi

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
