#!/bin/bash
# Context switches and idle CPU while the admission bench measures each server: runs the bench once (default
# command) and, 1 s into each measured window, samples for 3 s the context switches of every thread of the
# server under test, summed per thread name, and the machine's idle and iowait share (/proc/stat). Voluntary: the
# thread blocked (and was woken again later); involuntary: it was preempted or yielded the CPU (sched_yield, as the
# .NET thread pool does while it spins for work). Needs only /proc.
#
#   dotnet build -c Release bench/Tally.Bench
#   bash bench/tools/switches.sh [bench/Tally.Bench/bin/Release/net10.0]
source "$(dirname "$0")/admission-run.sh"

# thread name -> voluntary and involuntary switches, summed over the threads of process $1
threads() {
  for t in /proc/"$1"/task/*; do
    printf '%s %s\n' "$(tr ' ' '_' <"$t/comm" 2>/dev/null)" "$(awk '/^voluntary_ctxt_switches/{v=$2} /^nonvoluntary_ctxt_switches/{n=$2} END{print v, n}' "$t/status" 2>/dev/null)"
  done | awk 'NF == 3 {v[$1] += $2; n[$1] += $3} END {for (k in v) print k, v[k], n[k]}' | sort
}

cpu() { head -1 /proc/stat; }

sample() { # $1 = label, $2 = pattern of the server's command line
  local pid
  pid=$(pgrep -f "$2" | head -1)
  sleep 1
  threads "$pid" >"$work/before"; local a; a=$(cpu)
  sleep 3
  threads "$pid" >"$work/after"; local b; b=$(cpu)
  echo "$1 (pid $pid), context switches per second over 3 s (voluntary / involuntary):"
  join "$work/before" "$work/after" | awk '{v = ($4 - $2) / 3; n = ($5 - $3) / 3; if (v + n >= 50) printf "  %-16s %8.0f / %8.0f\n", $1, v, n; tv += v; tn += n}
    END {printf "  %-16s %8.0f / %8.0f\n", "all threads", tv, tn}'
  echo "$a" "$b" | awk '{n = 8; for (i = 2; i <= 1 + n; i++) { d = $(i + 11) - $i; tot += d; if (i == 5) idle = d; if (i == 6) io = d }
    printf "  machine: idle %.0f %%, iowait %.0f %%\n", 100 * idle / tot, 100 * io / tot}'
}

wait_for "measuring Kestrel baseline"
sample "baseline" "Tally.Bench.dll baseline" >"$work/baseline.txt"
wait_for "measuring Tally"
sample "Tally" "tally.dll serve" >"$work/tally.txt"
wait "$bench_pid" || true
grep -E '^\| (Kestrel|Tally)|ratio|writer loop' "$work/bench.out"
cat "$work/baseline.txt" "$work/tally.txt"
