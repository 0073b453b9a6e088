#!/usr/bin/env bash
# SendWithHeadersAsync request/response benchmark, interleaved: every contender of one (body size,
# Nagle) configuration runs in one process, taking 100 ms turns, so machine load hits them alike;
# each configuration is repeated REPS times (fresh process) and summarised per contender as the
# median run by req/s, with the min-max of req/s over the runs, the >10 ms / >30 ms counts and
# responses summed over all runs, and the process CPU time per response (median [min-max] of runs).
#
# On an otherwise idle VM a halted vCPU takes ~100 µs to wake, and one request/response exchange
# wakes threads on both vCPUs: p50 then flips between ~30 µs and ~130 µs from run to run, for every
# contender alike. --awake keeps both vCPUs out of halt with two SCHED_IDLE spinners (the kernel runs
# them only when nothing else wants the CPU, and preempts them at once for any other task), as a busy
# server's CPUs are. Say which mode a published table used.
#
# Usage: bench/run-headers-bench.sh [--awake] [seconds-per-contender=1.5] [reps=5] [modes=all]
set -euo pipefail
cd "$(dirname "$0")/.."
AWAKE=0
if [ "${1:-}" = --awake ]; then AWAKE=1; shift; fi
SECS=${1:-1.5}
REPS=${2:-5}
MODES=${3:-zc-handle,zc-path,zc-memory,zc-sendfile-only,zc-cork,zc-toggle,zc-nopush,bcl-sendfile,bcl-two-sends,bcl-one-buffer}
dotnet build bench/ZeroCopy.Net.Bench.Headers -c Release -v q -nologo >/dev/null
DLL=bench/ZeroCopy.Net.Bench.Headers/bin/Release/net10.0/ZeroCopy.Net.Bench.Headers.dll
spinners=()
cleanup() { for p in "${spinners[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
if [ "$AWAKE" = 1 ]; then
  for cpu in $(seq 0 $(($(nproc) - 1))); do
    chrt --idle 0 taskset -c "$cpu" sh -c 'while :; do :; done' &
    spinners+=($!)
  done
fi
echo "# machine: $(nproc) CPUs, $(uname -r), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%FT%TZ), awake=$AWAKE, ${SECS}s per contender per run, $REPS runs"
raw=$(mktemp)
for nagle in on off; do
  for size in 1024 4096 65536; do
    modes=$MODES
    [ "$nagle" = off ] && modes=$(echo "$modes" | tr ',' '\n' | grep -v '^zc-toggle$' | paste -sd, -)
    for rep in $(seq 1 "$REPS"); do
      timeout 300 dotnet "$DLL" --interleave "$size" "$nagle" "$SECS" "$modes" | sed "s/^/$nagle $rep /" >> "$raw"
    done
  done
done
python3 - "$raw" <<'PY'
import collections, statistics, sys
runs = collections.defaultdict(list)
order = []
for line in open(sys.argv[1]):
    nagle, rep, rest = line.split(" ", 2)
    cells = [c.strip() for c in rest.strip().strip("|").split("|")]
    key = (nagle, cells[1], cells[0])
    if key not in runs:
        order.append(key)
    runs[key].append(cells)
print("| Nagle | body | contender | req/s median [min-max] | p50 µs | p99 µs | p99.9 µs | max ms | >10 ms | >30 ms | responses | CPU µs/response median [min-max] |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|")
for key in order:
    rs = runs[key]
    by_rate = sorted(rs, key=lambda c: float(c[3]))
    med = by_rate[len(by_rate) // 2]
    rates = [float(c[3]) for c in rs]
    cpu = [float(c[11]) for c in rs]
    print(f"| {key[0]} | {key[1]} | {key[2]} | {statistics.median(rates):.0f} [{min(rates):.0f}-{max(rates):.0f}] | {med[4]} | {med[5]} | {med[6]} | {max(float(c[7]) for c in rs):.1f} | {sum(int(c[8]) for c in rs)} | {sum(int(c[9]) for c in rs)} | {sum(int(c[10]) for c in rs)} | {statistics.median(cpu):.1f} [{min(cpu):.1f}-{max(cpu):.1f}] |")
PY
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
