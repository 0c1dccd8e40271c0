#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# docker-entrypoint.sh - the container's first start: the data directory is empty, so the
# store is new and its user root would have the empty password. Set one first:
# SLUICE_ROOT_PASSWORD_FILE (a file, e.g. a Docker secret), SLUICE_ROOT_PASSWORD, or a random
# one written to DATA_DIR/root-password (mode 0600) and named on stderr. Then run the command.
set -eu
data=${SLUICE_DATA_DIR:-/var/lib/sluice}
if [ "${1:-}" = sluice ] && [ "${2:-}" = serve ] && [ -d "$data" ] && [ -z "$(ls -A "$data")" ]; then
    generated=0
    if [ -n "${SLUICE_ROOT_PASSWORD_FILE:-}" ]; then
        pw=$(head -n 1 "$SLUICE_ROOT_PASSWORD_FILE")
    elif [ -n "${SLUICE_ROOT_PASSWORD:-}" ]; then
        pw=$SLUICE_ROOT_PASSWORD
    else
        pw=$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')
        generated=1
    fi
    printf '%s\n' "$pw" | sluice user passwd root - --data-dir "$data"
    if [ $generated -eq 1 ]; then
        (umask 077 && printf '%s\n' "$pw" >"$data/root-password")
        echo "sluice: the password of the user root is in $data/root-password" >&2
    fi
    unset pw SLUICE_ROOT_PASSWORD
fi
exec "$@"
