#!/bin/bash
# Where a durable commit's time goes while the admission bench loads Tally: traces the server's fsync calls with
# perf (scheduler events + fsync syscalls, 2 s inside Tally's measured window) and splits each fsync into time on a
# CPU, asleep waiting for the disk, and runnable but waiting for a CPU. Needs perf and python3; run as root.
#
#   dotnet build -c Release bench/Tally.Bench
#   bash bench/tools/fsync-trace.sh [bench/Tally.Bench/bin/Release/net10.0]
source "$(dirname "$0")/admission-run.sh"
wait_for "measuring Tally"
sleep 2
perf record -q -o "$work/perf.data" -a \
  -e sched:sched_wakeup,sched:sched_switch,syscalls:sys_enter_fsync,syscalls:sys_exit_fsync,syscalls:sys_enter_fdatasync,syscalls:sys_exit_fdatasync \
  -- sleep 2 >/dev/null 2>&1
wait "$bench_pid" || true
grep -E '^\| (Kestrel|Tally)|ratio|writer loop' "$work/bench.out"
perf script -i "$work/perf.data" 2>/dev/null | python3 "$(dirname "$0")/fsync-trace.py"
