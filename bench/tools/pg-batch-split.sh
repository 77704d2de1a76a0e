#!/bin/bash
# Where the wall time of an admission batch goes on PostgreSQL: runs the admission bench (default command) on the
# PostgreSQL given as $1 and, 2 s into Tally's window, reads for 5 s the /proc/<pid>/schedstat of the writer thread
# (`tally-counters`) and of its PostgreSQL backend (application_name `tally-counters`): time on a CPU and time waiting
# for one, per batch the writer ran meanwhile (from Tally's /metrics). The rest of a batch's wall time is sleep: the
# WAL flush, and each side waiting for the other. Root needed (psql runs as the postgres user, /proc of its backend).
#
#   dotnet build -c Release bench/Tally.Bench
#   bash bench/tools/pg-batch-split.sh "Host=127.0.0.1;Port=55432;Username=tally;Database=postgres" [build directory]
database=${1:?usage: pg-batch-split.sh NPGSQL-CONNECTION-STRING [build directory]}
admission_args=(--database "$database")
source "$(dirname "$0")/admission-run.sh" "${2:-bench/Tally.Bench/bin/Release/net10.0}"
# Npgsql's keywords as libpq's, for psql.
conninfo=$(echo "$database" | tr ';' '\n' | sed -E 's/^Host=/host=/I; s/^Port=/port=/I; s/^(Username|User ID)=/user=/I; s/^Database=/dbname=/I; s/^Password=/password=/I' | tr '\n' ' ')

batches() { curl -s "$1/metrics" | awk '/^tally_quota_writer_batches_total/ {print $2}'; }
cpu_and_wait() { awk '{print $1, $2}' "$1"; }

wait_for "measuring Tally"
sleep 2
url=$(grep -oE 'Tally on http://127\.0\.0\.1:[0-9]+' "$work/bench.out" | head -1 | sed 's/^Tally on //')
backend=$(runuser -u postgres -- psql "$conninfo" -Atc "SELECT pid FROM pg_stat_activity WHERE application_name = 'tally-counters'" | head -1)
server=$(pgrep -f "tally.dll serve" | head -1)
writer=$(grep -l '^tally-counters$' /proc/"$server"/task/*/comm | head -1 | xargs dirname)
n1=$(batches "$url"); read -r b_cpu1 b_wait1 < <(cpu_and_wait /proc/"$backend"/schedstat); read -r w_cpu1 w_wait1 < <(cpu_and_wait "$writer"/schedstat); t1=$(date +%s%N)
sleep 5
n2=$(batches "$url"); read -r b_cpu2 b_wait2 < <(cpu_and_wait /proc/"$backend"/schedstat); read -r w_cpu2 w_wait2 < <(cpu_and_wait "$writer"/schedstat); t2=$(date +%s%N)
wait "$bench_pid" || true
grep -E '^\| (Kestrel|Tally)|writer loop' "$work/bench.out"
awk -v n1="$n1" -v n2="$n2" -v bc="$((b_cpu2 - b_cpu1))" -v bw="$((b_wait2 - b_wait1))" -v wc="$((w_cpu2 - w_cpu1))" -v ww="$((w_wait2 - w_wait1))" -v dt="$((t2 - t1))" \
  'BEGIN { n = n2 - n1; printf "per batch (%d batches in %.1f s): wall %.0f us; PostgreSQL backend %.0f us on a CPU + %.0f us waiting for one; writer thread %.0f us on a CPU + %.0f us waiting for one\n", n, dt / 1e9, dt / 1000 / n, bc / 1000 / n, bw / 1000 / n, wc / 1000 / n, ww / 1000 / n }'
