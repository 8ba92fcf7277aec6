#!/usr/bin/env bash
# Measures a point-in-time restore of the demo database with pgBackRest (docs/operations.md,
# "Point-in-time recovery"). In a throwaway PostgreSQL cluster under a temporary folder it:
#   1. starts the server with deploy/pgbackrest/postgresql.conf (WAL archived by pgBackRest),
#   2. migrates and seeds the demo data (`flask db upgrade`, `flask seed demo`, as `make seed`),
#   3. takes a full backup with deploy/pgbackrest/pgbackrest.conf (the S3 bucket swapped for a
#      local folder: no network in the figure), writes a row, notes the time, writes another,
#   4. stops the server and times `pgbackrest restore --type=time` into a new data folder plus
#      the server's start, WAL replay and promotion, until the copy takes writes again.
# Needs pgbackrest and PostgreSQL 15's server (/usr/lib/postgresql/15/bin; pgBackRest 2.45 knows
# PostgreSQL up to 15). Takes about three minutes, most of it seeding: scripts/measure_restore.sh
set -euo pipefail

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
FLASK=${FLASK:-$ROOT/.venv/bin/flask}
command -v pgbackrest >/dev/null || { echo "pgbackrest is not installed (apt-get install -y pgbackrest)" >&2; exit 1; }
[ -x "$PGBIN/postgres" ] || { echo "no PostgreSQL server in $PGBIN (set PGBIN)" >&2; exit 1; }

WORK=$(mktemp -d /tmp/cozywish-measure-restore-XXXXXX)
PORT=$((20000 + RANDOM % 20000))
# PostgreSQL refuses to run as root: under root the cluster belongs to the postgres user.
if [ "$(id -u)" = 0 ]; then AS=(runuser -u postgres --); chown postgres: "$WORK"; else AS=(); fi
as_server() { "${AS[@]}" env "${PGBR_ENV[@]}" "$@"; }

PGBR_ENV=(
  PGBACKREST_CONFIG="$WORK/pgbackrest.conf"
  PGBACKREST_REPO1_TYPE=posix
  PGBACKREST_REPO1_PATH="$WORK/repo"
  PGBACKREST_REPO1_CIPHER_PASS=measure-restore-only
  PGBACKREST_PG1_PATH="$WORK/data"
  PGBACKREST_PG1_PORT="$PORT"
  PGBACKREST_PG1_SOCKET_PATH="$WORK"
  PGBACKREST_LOG_PATH="$WORK/log"
  PGBACKREST_LOCK_PATH="$WORK/lock"
  PGBACKREST_SPOOL_PATH="$WORK/spool"
  PGBACKREST_LOG_LEVEL_CONSOLE=warn
)
stop_all() {
  for data in "$WORK/data" "$WORK/restored"; do
    [ -f "$data/postmaster.pid" ] && as_server "$PGBIN/pg_ctl" -D "$data" -m immediate -w stop >/dev/null 2>&1
  done
  rm -rf "$WORK"
}
trap stop_all EXIT

cp "$ROOT/deploy/pgbackrest/pgbackrest.conf" "$WORK/pgbackrest.conf"
chmod 644 "$WORK/pgbackrest.conf"
as_server mkdir -p "$WORK/repo" "$WORK/log" "$WORK/lock" "$WORK/spool"
as_server "$PGBIN/initdb" -D "$WORK/data" --auth=trust -U postgres --encoding=utf8 >/dev/null
cat "$ROOT/deploy/pgbackrest/postgresql.conf" | as_server tee -a "$WORK/data/postgresql.conf" >/dev/null
start() { as_server "$PGBIN/pg_ctl" -D "$1" -o "-p $PORT -h 127.0.0.1 -k $WORK ${2:-}" -l "$1.log" -w start >/dev/null; }
sql() { "$PGBIN/psql" -X -q -At -h 127.0.0.1 -p "$PORT" -U postgres -d "${2:-cozywish}" -c "$1"; }

start "$WORK/data"
sql "CREATE DATABASE cozywish" postgres
echo "seeding the demo data..."
export FLASK_APP=wsgi DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:$PORT/cozywish"
(cd "$ROOT" && "$FLASK" db upgrade >/dev/null 2>&1 && "$FLASK" seed demo >/dev/null 2>&1)
as_server pgbackrest --stanza=cozywish stanza-create
as_server pgbackrest --stanza=cozywish backup --type=full
sleep 1.1 # pgBackRest picks the newest backup that ended before the target, timed to the second
sql "CREATE TABLE restore_marker (what text); INSERT INTO restore_marker VALUES ('kept')"
TARGET=$(sql "SELECT clock_timestamp()")
sql "INSERT INTO restore_marker VALUES ('after the target')"
SEGMENT=$(sql "SELECT pg_walfile_name(pg_switch_wal())")
until [ "$(sql "SELECT last_archived_wal >= '$SEGMENT' FROM pg_stat_archiver")" = t ]; do sleep 0.2; done
DB_SIZE=$(sql "SELECT pg_size_pretty(pg_database_size('cozywish'))")
CLUSTER_SIZE=$(du -sh "$WORK/data" | cut -f1)
VENUES=$(sql "SELECT count(*) FROM venues")
BOOKINGS=$(sql "SELECT count(*) FROM bookings")
as_server "$PGBIN/pg_ctl" -D "$WORK/data" -m fast -w stop >/dev/null

echo "restoring to $TARGET..."
began=$(date +%s.%N)
as_server pgbackrest --stanza=cozywish restore --pg1-path="$WORK/restored" \
  --type=time --target="$TARGET" --target-action=promote
files_done=$(date +%s.%N)
start "$WORK/restored" "-c archive_mode=off"
until [ "$(sql "SELECT NOT pg_is_in_recovery()" 2>/dev/null)" = t ]; do sleep 0.05; done
ended=$(date +%s.%N)

[ "$(sql "SELECT string_agg(what, ',') FROM restore_marker")" = kept ] || { echo "the restore is wrong" >&2; exit 1; }
[ "$(sql "SELECT count(*) FROM bookings")" = "$BOOKINGS" ] || { echo "bookings differ after the restore" >&2; exit 1; }
REPO_SIZE=$(du -sh "$WORK/repo" | cut -f1)
# RESTORE_LOG=path keeps the restored server's log (what recovery did and when).
[ -z "${RESTORE_LOG:-}" ] || cp "$WORK/restored.log" "$RESTORE_LOG"
printf 'demo database: %s (cluster %s on disk; %s venues, %s bookings); repository (zstd, encrypted): %s\n' \
  "$DB_SIZE" "$CLUSTER_SIZE" "$VENUES" "$BOOKINGS" "$REPO_SIZE"
printf 'pgbackrest restore (files): %.1f s; start, WAL replay to the target, promotion: %.1f s; total: %.1f s\n' \
  "$(echo "$files_done - $began" | bc)" "$(echo "$ended - $files_done" | bc)" "$(echo "$ended - $began" | bc)"
echo "the copy holds the row written before the target and not the one after it"
