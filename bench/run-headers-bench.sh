#!/usr/bin/env bash
# SendWithHeadersAsync request/response benchmark: header (~200 B) + body (1 KiB, 4 KiB, 64 KiB) per
# response, one loopback connection per contender, closed loop, Nagle on and off.
#
# The server is bench/ZeroCopy.Net.Bench.Headers --serve (every contender in one .NET process, one
# listener each); the client is bench/ZeroCopy.Net.Bench.Headers/client/rr_client.c, in C and in its own process, so it
# costs every contender the same, allocates nothing, and the server's CPU time can be read apart
# from the client's (per thread, in ns, from /proc/PID/task/*/schedstat). The client takes turns:
# 100 ms on each contender's connection until each has had SECONDS, so background load hits them
# alike. The contender order is a different permutation in every run (seeded by the run number, so a
# rerun repeats it): a mere rotation keeps the cyclic order, so with Nagle on the contender after one
# that stalls ~44 ms on a delayed ACK would always be the same one (it was bcl-one-buffer). Each
# (Nagle, body) configuration runs REPS times, each in a fresh server process. The raw per-run rows
# (order included) are kept in bench/results/headers-raw-<UTC time>.txt.
#
# --pin puts the server on CPU 1 and the client on CPU 0 (taskset), so neither migrates or shares a
# core with the other; without it the scheduler places them.
#
# Reported per contender: req/s median [min-max] over runs; the ratio to bcl-one-buffer, taken within
# each run (same process, same minute) and then the median [min-max]; p50/p99/p99.9 of the median
# run; the worst response and the >10 ms / >30 ms counts over all runs; server CPU µs per response.
#
# Two runtime settings matter more than any contender, and apply to all of them alike:
#  - default: the socket continuation runs on a thread-pool worker; the workers spin (sched_yield)
#    before sleeping, so at one connection most server CPU is spinning, and how much varies from run
#    to run. Whole-process CPU per response is then ~40-100 µs and hides a 1-2 µs difference.
#  - --inline: DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1, the runtime's switch for servers that
#    do short, non-blocking work per request: the continuation runs on the epoll thread, no hand-off,
#    no spinning. Server CPU per response is then ~15-30 µs, and the contenders' own costs show.
# (The in-process harness this replaced needed SCHED_IDLE spinners to keep the vCPUs out of halt; with
# the client in its own process they made every contender slower, so they are gone.)
#
# --send-cpu also times each send call on the server's sending thread (CLOCK_THREAD_CPUTIME_ID around
# it, sends that completed on that thread only) and prints a second table: the send path's own cost,
# kernel loopback delivery included, without the runtime's receive and dispatch. The two clock reads
# cost every contender the same ~2 µs per response, so its req/s are not comparable with a run without.
#
# Usage: bench/run-headers-bench.sh [--inline] [--send-cpu] [--pin] [seconds-per-contender=1.5] [reps=5] [modes=all] [sizes=1024,4096,65536]
set -euo pipefail
cd "$(dirname "$0")/.."
INLINE=0
SEND_CPU=0
PIN=0
while [ "${1:-}" = --inline ] || [ "${1:-}" = --send-cpu ] || [ "${1:-}" = --pin ]; do
  [ "$1" = --inline ] && INLINE=1
  [ "$1" = --send-cpu ] && SEND_CPU=1
  [ "$1" = --pin ] && PIN=1
  shift
done
server_cpu=(); client_cpu=()
if [ "$PIN" = 1 ]; then server_cpu=(taskset -c 1); client_cpu=(taskset -c 0); fi
SECS=${1:-1.5}
REPS=${2:-5}
MODES=${3:-zc-handle,zc-path,zc-memory,zc-sendfile-only,zc-cork,zc-toggle,zc-nopush,bcl-sendfile,bcl-two-sends,bcl-one-buffer,bcl-one-buffer-nodelay}
SIZES=${4:-1024,4096,65536}
HEADER_BYTES=200

work=$(mktemp -d /tmp/zc-headers-bench.XXXXXX)
cleanup() {
  kill $(jobs -p) 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

dotnet build bench/ZeroCopy.Net.Bench.Headers -c Release -v q -nologo >/dev/null
DLL=bench/ZeroCopy.Net.Bench.Headers/bin/Release/net10.0/ZeroCopy.Net.Bench.Headers.dll
gcc -O2 -Wall -Wextra -o "$work/rr_client" bench/ZeroCopy.Net.Bench.Headers/client/rr_client.c
# The BCL's SendFileAsync leaks one descriptor per call (see docs/benchmarks.md).
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if [ "$INLINE" = 1 ]; then export DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1; fi
sendcpu="$work/sendcpu"
if [ "$SEND_CPU" = 1 ]; then export ZC_BENCH_SEND_CPU="$sendcpu"; fi

# One run: the server with every contender, then the client; prints the client's rows.
run_once() { # size nagle modes
  local size=$1 nagle=$2 modes=$3 fifo="$work/ports" spid specs=()
  rm -f "$fifo"; mkfifo "$fifo"
  "${server_cpu[@]}" dotnet "$DLL" --serve "$size" "$nagle" "$modes" > "$fifo" &
  spid=$!
  exec 3<"$fifo"
  while read -r word mode port <&3; do
    [ "$word" = READY ] && break
    specs+=("$mode:$port")
  done
  exec 3<&-
  "${client_cpu[@]}" timeout 300 "$work/rr_client" $((size + HEADER_BYTES)) "$nagle" "$SECS" 100 "$spid" "${specs[@]}"
  wait "$spid"
  if [ -f "$sendcpu" ]; then sed "s/^/SENDCPU /" "$sendcpu"; rm -f "$sendcpu"; fi
}

echo "# machine: $(nproc) CPUs, $(uname -r), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), .NET $(dotnet --list-runtimes | awk '/NETCore.App/ {v=$2} END {print v}'), load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%FT%TZ)"
echo "# inline_completions=$INLINE send_cpu=$SEND_CPU pinned=$PIN, ${SECS}s per contender per run, $REPS runs per configuration, C client (bench/ZeroCopy.Net.Bench.Headers/client/rr_client.c)"
raw="$work/raw"
for nagle in on off; do
  for size in ${SIZES//,/ }; do
    modes=$MODES
    [ "$nagle" = off ] && modes=$(echo "$modes" | tr ',' '\n' | grep -v '^zc-toggle$' | paste -sd, -)
    for rep in $(seq 1 "$REPS"); do
      # A fresh permutation per run (Fisher-Yates, seeded): no contender always follows the same one.
      order=$(echo "$modes" | tr ',' '\n' | awk -v seed="$rep$size" 'BEGIN {srand(seed)} {a[NR]=$0} END {for (i = NR; i > 1; i--) {j = int(rand() * i) + 1; t = a[i]; a[i] = a[j]; a[j] = t} for (i = 1; i <= NR; i++) print a[i]}' | paste -sd, -)
      echo "ORDER $nagle $size $rep $order" >> "$raw.orders"
      run_once "$size" "$nagle" "$order" | sed "s/^/$nagle $size $rep /" >> "$raw"
    done
  done
done

# Keep the raw per-run rows and each run's contender order next to the other results.
mkdir -p bench/results
keep="bench/results/headers-raw-$(date -u +%Y-%m-%dT%H%M%SZ).txt"
{ echo "# $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) CPUs, Linux $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)"; cat "$raw.orders" "$raw"; } > "$keep"
echo "# raw per-run rows and orders: $keep"

python3 - "$raw" <<'PY'
import collections, statistics, sys
runs = collections.defaultdict(list)   # (nagle, size, contender) -> [cells]
by_run = collections.defaultdict(dict)  # (nagle, size, rep) -> contender -> req/s
send_cpu = collections.defaultdict(list)  # (nagle, size, contender) -> [ns per send, one per run]
order = []
for line in open(sys.argv[1]):
    nagle, size, rep, rest = line.split(" ", 3)
    if rest.startswith("SENDCPU "):
        _, mode, ns, _sends = rest.split()
        send_cpu[(nagle, int(size), mode)].append(float(ns))
        continue
    c = [x.strip() for x in rest.strip().strip("|").split("|")]
    if c[8] == "0":
        continue  # the server stopped serving it before the measured window (descriptor limit)
    key = (nagle, int(size), c[0])
    if key not in runs:
        order.append(key)
    runs[key].append(c)
    by_run[(nagle, int(size), rep)][c[0]] = float(c[1])
order.sort(key=lambda k: (k[0] == "off", k[1]))
print("| Nagle | body | contender | req/s median [min-max] | ÷ bcl-one-buffer, per run: median [min-max] | p50 µs | p99 µs | p99.9 µs | worst ms | >10 ms | >30 ms | responses | server CPU µs/response median [min-max] |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
for key in order:
    rs = runs[key]
    rates = [float(c[1]) for c in rs]
    med = sorted(rs, key=lambda c: float(c[1]))[len(rs) // 2]
    cpu = [float(c[9]) for c in rs]
    ratios = [r[key[2]] / r["bcl-one-buffer"] for (n, s, _), r in by_run.items() if (n, s) == key[:2] and "bcl-one-buffer" in r and key[2] in r]
    ratio = f"{statistics.median(ratios):.2f} [{min(ratios):.2f}-{max(ratios):.2f}]" if ratios else "-"
    print(f"| {key[0]} | {key[1] // 1024} KiB | {key[2]} | {statistics.median(rates):.0f} [{min(rates):.0f}-{max(rates):.0f}] | {ratio} | {med[2]} | {med[3]} | {med[4]} | {max(float(c[5]) for c in rs):.1f} | {sum(int(c[6]) for c in rs)} | {sum(int(c[7]) for c in rs)} | {sum(int(c[8]) for c in rs)} | {statistics.median(cpu):.1f} [{min(cpu):.1f}-{max(cpu):.1f}] |")
if send_cpu:
    print()
    print("| Nagle | body | contender | send call, sending thread's CPU µs: median of runs [min-max] | ÷ bcl-one-buffer |")
    print("|---|---|---|---|---|")
    for key in order:
        v = send_cpu.get(key)
        if not v:
            continue
        base = send_cpu.get((key[0], key[1], "bcl-one-buffer"))
        ratio = f"{statistics.median(v) / statistics.median(base):.2f}" if base else "-"
        print(f"| {key[0]} | {key[1] // 1024} KiB | {key[2]} | {statistics.median(v) / 1e3:.2f} [{min(v) / 1e3:.2f}-{max(v) / 1e3:.2f}] | {ratio} |")
PY
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
