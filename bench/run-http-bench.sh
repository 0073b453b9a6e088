#!/usr/bin/env bash
# Four HTTP servers under wrk, on loopback, serving the same 1 KiB, 16 KiB, 1 MiB and 64 MiB files:
#   (a) ASP.NET Core UseStaticFiles on Kestrel's default socket transport (bench/ZeroCopy.Net.Bench.Kestrel):
#       Kestrel's SendFileFallback reads each file in 16 KiB chunks and copies them through the response pipe.
#   (b) the same app with builder.WebHost.UseZeroCopy() (ZeroCopy.Net.AspNetCore): the head and the file go out
#       with sendmsg(MSG_MORE) + sendfile(2); bodies of at most 16 KiB are read and sent with the head in one send.
#   (c) nginx (sendfile on; tcp_nopush on; one worker per core; open_file_cache): the reference C server.
#   (d) samples/HttpStaticServer (ZeroCopy.Net's own HTTP/1.1 server: SendWithHeadersAsync, inline socket
#       completions, an open-file cache; no TLS, no compression, no ETag).
# None of them logs, compresses or serves TLS here. Reported per server and file: requests/s, transfer/s and server
# CPU per request (user+system time of the server's processes from /proc/<pid>/stat over the run, divided by the
# requests wrk completed; for nginx, master and workers).
# Needs: wrk, nginx (apt-get install wrk nginx), the .NET 10 SDK, root for nginx.
# Usage: bench/run-http-bench.sh [seconds=5] [connections=32] [repetitions=3]
#   FILES="1k.bin 1m.bin" limits the files; GC_SERVER=0 workstation GC; PIN=1 servers on CPU 1, wrk on CPU 0.
#   A quick check that everything runs: bench/run-http-bench.sh 1 8 1
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-5}; conns=${2:-32}; reps=${3:-3}
files=${FILES:-"1k.bin 16k.bin 1m.bin 64m.bin"}
work=$(mktemp -d /tmp/zc-http-bench.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null || true; [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true; rm -rf "$work"' EXIT
. bench/http-bench-common.sh # the cd above made the repository root the working directory
make_site "$work" with-64m

dotnet build samples/HttpStaticServer -c Release -v q -nologo >/dev/null
dotnet build bench/ZeroCopy.Net.Bench.Kestrel -c Release -v q -nologo >/dev/null

write_nginx_conf "$work"

wait_port() { for _ in $(seq 1 100); do (exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0; sleep 0.1; done; echo "port $1 never opened" >&2; return 1; }

# All four servers run at once (idle ones cost nothing measurable) and take turns: for each file and each
# repetition, every server gets one wrk run, in a fresh order each repetition, so background load and the
# machine's drift hit them alike (running each server's runs back to back did not).
# The .NET servers run with the same GC: DOTNET_gcServer=$GC_SERVER (default 1, server GC, what
# ZeroCopy.Net.Bench.Kestrel.csproj asks for; GC_SERVER=0 for workstation GC) overrides their runtimeconfig.
# What still differs, on purpose: the sample server runs socket completions inline (its default,
# docs/http-static-server.md); Kestrel (both transports) uses the thread pool.
GC_SERVER=${GC_SERVER:-1}
PIN=${PIN:-0}
server_cpu=(); client_cpu=()
if [ "$PIN" = 1 ]; then server_cpu=(taskset -c 1); client_cpu=(taskset -c 0); fi
export DOTNET_gcServer=$GC_SERVER

cpu_model=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')
machine="$(nproc) CPUs ($cpu_model), kernel $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%FT%TZ)"
echo "# $machine"
echo "# wrk -t2 -c$conns -d${secs}s, $reps runs per server and file, servers interleaved in a fresh order per run; DOTNET_gcServer=$GC_SERVER for the .NET servers; pinned=$PIN"
echo "| server | file | req/s median [min-max] | MB/s | server CPU µs/request |"
echo "|---|---|---|---|---|"

"${server_cpu[@]}" dotnet samples/HttpStaticServer/bin/Release/net10.0/HttpStaticServer.dll "$work/www" 18080 >/dev/null & zc=$!
"${server_cpu[@]}" nginx -c "$work/nginx.conf"
"${server_cpu[@]}" dotnet bench/ZeroCopy.Net.Bench.Kestrel/bin/Release/net10.0/ZeroCopy.Net.Bench.Kestrel.dll "$work/www" 18082 >/dev/null & ks=$!
"${server_cpu[@]}" dotnet bench/ZeroCopy.Net.Bench.Kestrel/bin/Release/net10.0/ZeroCopy.Net.Bench.Kestrel.dll "$work/www" 18083 --zerocopy >/dev/null & kz=$!
wait_port 18080; wait_port 18081; wait_port 18082; wait_port 18083
declare -A name=([18080]="HttpStaticServer (ZeroCopy.Net sample)" [18081]="nginx $(nginx -v 2>&1 | cut -d/ -f2)" [18082]="Kestrel UseStaticFiles" [18083]="Kestrel UseStaticFiles + UseZeroCopy()")
declare -A pids=([18080]="$zc" [18082]="$ks" [18083]="$kz")
pids[18081]="$(cat "$work/nginx.pid") $(pgrep -P "$(cat "$work/nginx.pid")" | tr '\n' ' ')"

# utime + stime (clock ticks) of the given processes, all threads included.
cpu_ticks() { local t=0 p; for p in $1; do t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done; echo "$t"; }
hz=$(getconf CLK_TCK)

mkdir -p bench/results
raw="bench/results/http-raw-$(date -u +%Y-%m-%dT%H%M%SZ).txt"
{
  echo "# machine: $machine"
  echo "# port file run req/s MB/s requests cpu_ticks(CLK_TCK=$hz)  (18080 HttpStaticServer, 18081 nginx, 18082 Kestrel, 18083 Kestrel+UseZeroCopy)"
} > "$raw"
for f in $files; do
  for rep in $(seq 1 "$reps"); do
    for port in $(printf '%s\n' 18080 18081 18082 18083 | shuf --random-source=<(yes "$rep$f")); do
      before=$(cpu_ticks "${pids[$port]}")
      out=$("${client_cpu[@]}" wrk -t2 -c"$conns" -d"${secs}s" "http://127.0.0.1:$port/$f")
      after=$(cpu_ticks "${pids[$port]}")
      rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
      requests=$(echo "$out" | awk '/requests in/ {print $1}')
      tr=$(echo "$out" | awk '/Transfer\/sec/ {v=$2; if (v ~ /GB/) {sub("GB","",v); v*=1024} else if (v ~ /MB/) {sub("MB","",v)} else if (v ~ /KB/) {sub("KB","",v); v/=1024}; print v}')
      echo "$port $f $rep $rps $tr $requests $((after - before))" >> "$raw"
    done
  done
done
kill $zc $ks $kz; wait $zc $ks $kz 2>/dev/null || true
kill "$(cat "$work/nginx.pid")"; rm -f "$work/nginx.pid"

# req/s median [min-max] per server and file; MB/s and CPU per request of the median run.
for port in 18083 18082 18081 18080; do
  for f in $files; do
    sorted=$(awk -v p="$port" -v f="$f" '$1 == p && $2 == f {print $4, $5, $6, $7}' "$raw" | sort -n)
    med=$(echo "$sorted" | sed -n "$(( (reps + 1) / 2 ))p")
    cpu=$(echo "$med" | awk -v hz="$hz" '{ if ($3 > 0) printf "%.0f", $4 * 1000000 / hz / $3; else print "-" }')
    echo "| ${name[$port]} | $f | $(echo "$med" | awk '{printf "%.0f", $1}') [$(echo "$sorted" | head -1 | awk '{printf "%.0f", $1}')-$(echo "$sorted" | tail -1 | awk '{printf "%.0f", $1}')] | $(echo "$med" | awk '{printf "%.0f", $2}') | $cpu |"
  done
done
echo "# raw per-run rows: $raw"
