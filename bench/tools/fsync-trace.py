"""Reads `perf script` output (sched_wakeup, sched_switch, fsync/fdatasync enter and exit) on stdin and splits every
completed fsync into: on a CPU, asleep (waiting for the disk), runnable (woken, waiting for a CPU). Times in µs."""
import re
import statistics
import sys

LINE = re.compile(r'\s*(.+?)\s+(\d+)\s+\[(\d+)\]\s+([\d.]+):\s+(\S+):\s*(.*)')
events = []
for line in sys.stdin:
    m = LINE.match(line)
    if m:
        _, tid, _, t, name, rest = m.groups()
        events.append((float(t), int(tid), name, rest))
events.sort(key=lambda e: e[0])

open_calls, done = {}, []
for t, tid, name, rest in events:
    if name.endswith(('sys_enter_fsync', 'sys_enter_fdatasync')):
        open_calls[tid] = {'enter': t, 'state': 'run', 'since': t, 'run': 0.0, 'sleep': 0.0, 'runnable': 0.0}
    elif name == 'sched:sched_wakeup':
        call = open_calls.get(int(re.search(r' pid=(\d+)', rest)[1]))
        if call and call['state'] == 'sleep':
            call['sleep'] += t - call['since']
            call['state'], call['since'] = 'runnable', t
    elif name == 'sched:sched_switch':
        m = re.search(r'prev_pid=(\d+) .*prev_state=(\S+) ==> .*next_pid=(\d+)', rest)
        prev, prev_state, nxt = int(m[1]), m[2], int(m[3])
        call = open_calls.get(prev)
        if call and call['state'] == 'run':
            call['run'] += t - call['since']
            call['state'], call['since'] = ('runnable' if prev_state.startswith('R') else 'sleep'), t
        call = open_calls.get(nxt)
        if call and call['state'] == 'runnable':
            call['runnable'] += t - call['since']
            call['state'], call['since'] = 'run', t
    elif name.endswith(('sys_exit_fsync', 'sys_exit_fdatasync')):
        call = open_calls.pop(tid, None)
        if call:
            call['run'] += t - call['since']
            call['total'] = t - call['enter']
            done.append(call)

if not done:
    sys.exit('no fsync completed in the trace')
print(f'fsync calls traced: {len(done)}')
for part in ('total', 'run', 'sleep', 'runnable'):
    values = sorted(c[part] * 1e6 for c in done)
    print(f'{part:>9} µs: mean {statistics.mean(values):5.0f}  p50 {values[len(values) // 2]:5.0f}  '
          f'p90 {values[int(len(values) * 0.9)]:5.0f}  p99 {values[int(len(values) * 0.99)]:5.0f}')
