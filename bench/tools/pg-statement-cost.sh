#!/bin/bash
# What the PostgreSQL admission writer's statements cost the database on its own, without Tally: pgbench, one client,
# 6 s per script, on a table shaped like quota_counts (in a scratch schema, 32 keys) with a batch of 16 keys; for each
# script (a round trip alone; the update; the lock statement then the update, as Tally runs them; both in one statement
# through a MATERIALIZED CTE) the latency per transaction and the backend's CPU per transaction (/proc/<pid>/schedstat), with
# synchronous_commit off (the statements) and on (plus the WAL flush). Each statement is its own round trip here,
# unlike Tally's one DbBatch. Root needed (pgbench and psql run as the postgres user, /proc of the backend).
#
#   bash bench/tools/pg-statement-cost.sh "host=127.0.0.1 port=55432 user=tally dbname=postgres"
set -euo pipefail
conninfo=${1:?usage: pg-statement-cost.sh LIBPQ-CONNINFO}
work=$(mktemp -d)
chmod 755 "$work"
trap 'rm -rf "$work"; runuser -u postgres -- psql "$conninfo" -qc "DROP SCHEMA IF EXISTS tally_pgcost CASCADE" 2>/dev/null' EXIT
as_pg() { runuser -u postgres -- "$@"; }
as_pg psql "$conninfo" -q -c "SET client_min_messages = warning" -c "DROP SCHEMA IF EXISTS tally_pgcost CASCADE" -c "CREATE SCHEMA tally_pgcost" \
  -c "CREATE TABLE tally_pgcost.quota_counts (tenant_id varchar(63), namespace varchar(63), kind varchar(16), key varchar(512), current_micros bigint NOT NULL, PRIMARY KEY (tenant_id, namespace, kind, key))" \
  -c "INSERT INTO tally_pgcost.quota_counts SELECT 'bench', 'system', 'objects', 'k' || g, 0 FROM generate_series(0, 31) g"

list() { local v=$1 out="" i; for i in $(seq 0 15); do out+="${out:+,}$(eval echo "$v")"; done; echo "'{$out}'"; }
keys="$(list bench)::text[], $(list system)::text[], $(list objects)::text[], $(list 'k$i')::text[]"
lock="SELECT 1 FROM quota_counts q JOIN unnest($keys) AS i(tenant, ns, kind, key) ON q.tenant_id = i.tenant AND q.namespace = i.ns AND q.kind = i.kind AND q.key = i.key ORDER BY q.tenant_id, q.namespace, q.kind, q.key FOR UPDATE OF q;"
update="UPDATE quota_counts q SET current_micros = CASE WHEN i.admit THEN q.current_micros + i.amount ELSE GREATEST(0, q.current_micros - i.amount) END FROM unnest($keys, $(list 1)::bigint[], $(list -1)::bigint[], $(list t)::boolean[], $(list '$i')::integer[]) AS i(tenant, ns, kind, key, amount, lim, admit, idx) WHERE q.tenant_id = i.tenant AND q.namespace = i.ns AND q.kind = i.kind AND q.key = i.key AND (NOT i.admit OR i.lim < 0 OR q.current_micros + i.amount <= i.lim) RETURNING i.idx, q.current_micros;"
merged="WITH i AS MATERIALIZED (SELECT * FROM unnest($keys, $(list 1)::bigint[], $(list -1)::bigint[], $(list t)::boolean[], $(list '$i')::integer[]) AS i(tenant, ns, kind, key, amount, lim, admit, idx)), locked AS MATERIALIZED (SELECT q.tenant_id, q.namespace, q.kind, q.key FROM quota_counts q JOIN i ON q.tenant_id = i.tenant AND q.namespace = i.ns AND q.kind = i.kind AND q.key = i.key ORDER BY q.tenant_id, q.namespace, q.kind, q.key FOR UPDATE OF q) UPDATE quota_counts q SET current_micros = CASE WHEN i.admit THEN q.current_micros + i.amount ELSE GREATEST(0, q.current_micros - i.amount) END FROM i JOIN locked l ON l.tenant_id = i.tenant AND l.namespace = i.ns AND l.kind = i.kind AND l.key = i.key WHERE q.tenant_id = i.tenant AND q.namespace = i.ns AND q.kind = i.kind AND q.key = i.key AND (NOT i.admit OR i.lim < 0 OR q.current_micros + i.amount <= i.lim) RETURNING i.idx, q.current_micros;"
printf 'SELECT 1;\n' >"$work/round-trip.sql"
printf 'BEGIN;\n%s\nCOMMIT;\n' "$update" >"$work/update.sql"
printf 'BEGIN;\n%s\n%s\nCOMMIT;\n' "$lock" "$update" >"$work/lock-and-update.sql"
printf 'BEGIN;\n%s\nCOMMIT;\n' "$merged" >"$work/lock-in-update.sql"
chmod 644 "$work"/*.sql

for sync in off on; do
  for script in round-trip update lock-and-update lock-in-update; do
    PGOPTIONS="-c synchronous_commit=$sync -c search_path=tally_pgcost" \
      as_pg pgbench -n -M prepared -c 1 -T 6 -f "$work/$script.sql" "$conninfo" >"$work/out" 2>&1 &
    bench_pid=$!
    sleep 1.5
    backend=$(as_pg psql "$conninfo" -Atc "SELECT pid FROM pg_stat_activity WHERE application_name = 'pgbench'" | head -1)
    read -r cpu1 _ <"/proc/$backend/schedstat"; t1=$(date +%s%N)
    sleep 3
    read -r cpu2 _ <"/proc/$backend/schedstat"; t2=$(date +%s%N)
    wait "$bench_pid"
    tps=$(grep -oE 'tps = [0-9.]+' "$work/out" | head -1 | awk '{print $3}')
    awk -v s="$script" -v sync="$sync" -v tps="$tps" -v cpu="$((cpu2 - cpu1))" -v dt="$((t2 - t1))" \
      'BEGIN { printf "%-16s synchronous_commit=%-3s %8.0f tx/s  %6.0f us per tx  backend CPU %6.1f us per tx\n", s, sync, tps, 1e6 / tps, cpu / 1000 / (tps * dt / 1e9) }'
  done
done
