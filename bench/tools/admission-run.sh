# Sourced by the tools here: starts the admission bench (default command, output in $work) in the background and
# offers wait_for PATTERN, which returns once the bench's progress (stderr) shows PATTERN, or exits if the bench died.
# Sets: bench (build directory, from $1), work (temporary directory, removed on exit), bench_pid. Extra arguments for
# the bench (e.g. --database ...) come from the array admission_args, when the sourcing script sets it.
set -euo pipefail
bench=${1:-bench/Tally.Bench/bin/Release/net10.0}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dotnet "$bench/Tally.Bench.dll" admission --wait-quiet 20 "${admission_args[@]}" >"$work/bench.out" 2>"$work/bench.err" &
bench_pid=$!

wait_for() {
  until grep -q "$1" "$work/bench.err" 2>/dev/null; do
    kill -0 "$bench_pid" 2>/dev/null || { cat "$work/bench.err" >&2; exit 1; }
    sleep 0.05
  done
}
