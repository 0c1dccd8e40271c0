#!/bin/sh
# pg.sh start|stop|restart|url DIR - a throwaway PostgreSQL for the tests (tests/unit/store,
# tests/e2e with SLUICE_TEST_STORE=postgres, bench/).
#
#   start    initdb into DIR/data (once) and start postgres on a free 127.0.0.1 port, its unix
#            socket in DIR, fsync on; prints the URL (postgres://postgres@127.0.0.1:PORT/postgres)
#   stop     stop it (fast shutdown); DIR stays, the caller removes it
#   restart  stop and start on the same port (the engine's reconnect tests)
#   url      print the URL again
#
# PostgreSQL refuses to run as root: as root the server runs as the `postgres` user (runuser)
# and DIR is handed to it. Debian's package (postgresql, installed by scripts/deps.sh) provides
# the binaries. Exit status 3: PostgreSQL is not installed.
set -eu

usage() {
    echo "usage: pg.sh start|stop|restart|url DIR" >&2
    exit 2
}
[ $# -eq 2 ] || usage
cmd=$1
dir=$2

bindir=""
if command -v pg_config >/dev/null 2>&1 && [ -x "$(pg_config --bindir)/initdb" ]; then
    bindir=$(pg_config --bindir)
else
    for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V); do bindir=$d; done
fi
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
    echo "pg.sh: PostgreSQL is not installed (Debian package postgresql)" >&2
    exit 3
fi

as_pg() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

url() {
    echo "postgres://postgres@127.0.0.1:$(cat "$dir/port")/postgres"
}

launch() { # launch PORT: start the server on PORT; non-zero when it did not come up
    as_pg "$bindir/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 60 -o \
        "-c listen_addresses=127.0.0.1 -c port=$1 -c unix_socket_directories=$dir \
         -c fsync=on -c max_connections=400 -c shared_buffers=64MB \
         -c max_prepared_transactions=0" start >/dev/null 2>&1
}

case "$cmd" in
start)
    mkdir -p "$dir"
    chmod 700 "$dir"
    [ "$(id -u)" -eq 0 ] && chown postgres: "$dir"
    if [ ! -f "$dir/data/PG_VERSION" ]; then
        as_pg "$bindir/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --no-locale \
            >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
    fi
    tries=0
    while :; do
        port=$(free_port)
        if launch "$port"; then
            echo "$port" >"$dir/port"
            break
        fi
        tries=$((tries + 1))
        if [ $tries -ge 5 ]; then
            cat "$dir/log" >&2 2>/dev/null || true
            echo "pg.sh: postgres did not start" >&2
            exit 1
        fi
    done
    url
    ;;
stop)
    [ -f "$dir/data/postmaster.pid" ] || exit 0
    as_pg "$bindir/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null 2>&1 || true
    ;;
restart)
    as_pg "$bindir/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null 2>&1 || true
    launch "$(cat "$dir/port")" || { cat "$dir/log" >&2; exit 1; }
    ;;
url)
    url
    ;;
*)
    usage
    ;;
esac
