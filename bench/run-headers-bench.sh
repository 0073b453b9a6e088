#!/usr/bin/env bash
# SendWithHeadersAsync request/response benchmark, interleaved: every contender of one (body size,
# Nagle) configuration runs in one process, taking 100 ms turns, so machine load hits them alike.
# Usage: bench/run-headers-bench.sh [seconds-per-contender=2.5] [modes=all]
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-2.5}
MODES=${2:-zc-handle,zc-path,zc-memory,zc-sendfile-only,zc-cork,zc-toggle,zc-nopush,bcl-sendfile,bcl-two-sends,bcl-one-buffer}
dotnet build bench/ZeroCopy.Net.Bench.Headers -c Release -v q -nologo >/dev/null
DLL=bench/ZeroCopy.Net.Bench.Headers/bin/Release/net10.0/ZeroCopy.Net.Bench.Headers.dll
echo "# machine: $(nproc) CPUs, $(uname -r), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%FT%TZ)"
for nagle in on off; do
  for size in 1024 4096 65536; do
    modes=$MODES
    [ "$nagle" = off ] && modes=$(echo "$modes" | tr ',' '\n' | grep -v '^zc-toggle$' | paste -sd, -)
    echo "## body $size B, Nagle $nagle"
    dotnet "$DLL" --interleave "$size" "$nagle" "$SECS" "$modes"
  done
done
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
