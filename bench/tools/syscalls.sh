#!/bin/bash
# System calls and context switches per request while the admission bench measures each server: runs the bench once
# (default command) and, 1 s into each measured window, counts with `perf stat` for 4 s the server's system calls (all,
# and the kinds that matter here) and context switches, divided by the requests/s the bench then reports. perf slows
# the server it watches, so the run's rates are not figures; the counts per request are. Root and perf needed.
#
#   dotnet build -c Release bench/Tally.Bench
#   bash bench/tools/syscalls.sh [bench/Tally.Bench/bin/Release/net10.0]
source "$(dirname "$0")/admission-run.sh"
events=raw_syscalls:sys_enter,context-switches
for call in sched_yield recvfrom sendto epoll_wait futex fcntl pwrite64 fsync; do events+=",syscalls:sys_enter_$call"; done

count() { # $1 = label, $2 = pattern of the server's command line
  local pid
  pid=$(pgrep -f "$2" | head -1)
  sleep 1
  perf stat -x, -e "$events" -p "$pid" -- sleep 4 2>"$work/$1.stat" >/dev/null
}

wait_for "measuring Kestrel baseline"
count baseline "Tally.Bench.dll baseline"
wait_for "measuring Tally"
count tally "tally.dll serve"
wait "$bench_pid" || true
grep -E '^\| (Kestrel|Tally)' "$work/bench.out"
for side in baseline tally; do
  label=$([ $side = baseline ] && echo Kestrel || echo Tally)
  rps=$(grep -E "^\| $label" "$work/bench.out" | awk -F'|' '{print $4 + 0}')
  echo "$side, per request (at $rps requests/s):"
  awk -F, -v r="$rps" '$1 ~ /^[0-9]+$/ {printf "  %-32s %6.2f\n", $3, $1 / (4 * r)}' "$work/$side.stat"
done
