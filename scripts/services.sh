#!/usr/bin/env bash
# Throwaway PostgreSQL 15 and Redis for the tests.
#
#   eval "$(bash scripts/services.sh start)"   # starts both (or finds them running), prints exports
#   bash scripts/services.sh stop
#
# Both listen on 127.0.0.1 only. PostgreSQL trusts loopback connections; its data lives under
# $MYELIN_SERVICES_DIR (default /tmp/myelin-services) and survives stop/start until that folder is
# removed. Redis keeps nothing on disk. Ports: MYELIN_PG_PORT (5433), MYELIN_REDIS_PORT (6380).
# Only the export lines go to stdout; progress and errors go to stderr.
set -euo pipefail

PG_PORT="${MYELIN_PG_PORT:-5433}"
REDIS_PORT="${MYELIN_REDIS_PORT:-6380}"
BASE="${MYELIN_SERVICES_DIR:-/tmp/myelin-services}"
PG_DATA="$BASE/pg-$PG_PORT"
PG_RUN="$BASE/pg-run-$PG_PORT"
PG_LOG="$BASE/pg-$PG_PORT.log"
REDIS_DIR="$BASE/redis-$REDIS_PORT"
PG_DB="myelin_test"

log() { echo "services: $*" >&2; }

pg_bin() {
    # Debian keeps the server binaries off PATH.
    local name="$1"
    if [ -x "/usr/lib/postgresql/15/bin/$name" ]; then echo "/usr/lib/postgresql/15/bin/$name"
    elif command -v "$name" >/dev/null 2>&1; then command -v "$name"
    else log "PostgreSQL's $name not found (apt-get install -y postgresql-15)"; exit 1
    fi
}

# initdb and the server refuse to run as root: as root, run them as the postgres user.
as_pg() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_ready() { "$(pg_bin pg_isready)" -q -h 127.0.0.1 -p "$PG_PORT" >/dev/null 2>&1; }

start_postgres() {
    if pg_ready; then
        log "PostgreSQL already answers on 127.0.0.1:$PG_PORT"
    else
        mkdir -p "$BASE"
        chmod 755 "$BASE"
        if [ ! -s "$PG_DATA/PG_VERSION" ]; then
            log "initdb $PG_DATA"
            rm -rf "$PG_DATA"
            mkdir -p "$PG_DATA"
            [ "$(id -u)" = 0 ] && chown postgres:postgres "$PG_DATA"
            as_pg "$(pg_bin initdb)" -D "$PG_DATA" -U postgres --auth-local=trust --auth-host=trust \
                --encoding=UTF8 --locale=C.UTF-8 >&2
        fi
        mkdir -p "$PG_RUN"
        touch "$PG_LOG"
        [ "$(id -u)" = 0 ] && chown postgres:postgres "$PG_RUN" "$PG_LOG"
        log "starting PostgreSQL on 127.0.0.1:$PG_PORT"
        # Many test classes each hold a pool, so allow more connections than the default 100.
        as_pg "$(pg_bin pg_ctl)" -D "$PG_DATA" -l "$PG_LOG" -w -t 60 \
            -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -c unix_socket_directories=$PG_RUN -c max_connections=300" \
            start >&2 || { log "PostgreSQL did not start; its log:"; tail -n 30 "$PG_LOG" >&2; exit 1; }
    fi
    for _ in $(seq 1 60); do pg_ready && break; sleep 0.5; done
    pg_ready || { log "PostgreSQL does not answer on 127.0.0.1:$PG_PORT"; exit 1; }
    if ! "$(pg_bin psql)" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -tAc \
            "SELECT 1 FROM pg_database WHERE datname = '$PG_DB'" | grep -q 1; then
        "$(pg_bin psql)" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -qc "CREATE DATABASE $PG_DB" >&2
    fi
}

redis_ready() { command -v redis-cli >/dev/null 2>&1 && [ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ]; }

start_redis() {
    if ! command -v redis-server >/dev/null 2>&1; then
        log "installing redis-server"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq >&2
        apt-get install -y -qq redis-server >&2
    fi
    if redis_ready; then
        log "Redis already answers on 127.0.0.1:$REDIS_PORT"
    else
        mkdir -p "$REDIS_DIR"
        log "starting Redis on 127.0.0.1:$REDIS_PORT"
        redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --daemonize yes \
            --save "" --appendonly no --dir "$REDIS_DIR" \
            --pidfile "$REDIS_DIR/redis.pid" --logfile "$REDIS_DIR/redis.log" >&2
    fi
    for _ in $(seq 1 60); do redis_ready && break; sleep 0.5; done
    redis_ready || { log "Redis does not answer on 127.0.0.1:$REDIS_PORT"; exit 1; }
}

stop_all() {
    if [ -s "$PG_DATA/postmaster.pid" ]; then
        log "stopping PostgreSQL"
        as_pg "$(pg_bin pg_ctl)" -D "$PG_DATA" -m fast -w stop >&2 || true
    fi
    if redis_ready; then
        log "stopping Redis"
        redis-cli -h 127.0.0.1 -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
    fi
}

case "${1:-}" in
    start)
        start_postgres
        start_redis
        echo "export MYELIN_TEST_POSTGRES='Host=127.0.0.1;Port=$PG_PORT;Username=postgres;Database=$PG_DB'"
        echo "export MYELIN_TEST_REDIS='127.0.0.1:$REDIS_PORT'"
        ;;
    stop)
        stop_all
        ;;
    *)
        echo "usage: $0 start|stop" >&2
        exit 2
        ;;
esac
