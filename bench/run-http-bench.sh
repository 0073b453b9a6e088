#!/usr/bin/env bash
# The sample server (samples/HttpStaticServer) against nginx (sendfile on; tcp_nopush on; one worker
# per core) and ASP.NET Core static files on Kestrel, under wrk, on loopback, serving the same 1 KiB,
# 16 KiB and 1 MiB files. Needs: wrk, nginx (apt-get install wrk nginx), the .NET 10 SDK, root for nginx.
# Usage: bench/run-http-bench.sh [seconds=5] [connections=32] [repetitions=3]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-5}; conns=${2:-32}; reps=${3:-3}
work=$(mktemp -d /tmp/zc-http-bench.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null || true; [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true; rm -rf "$work"' EXIT
mkdir -p "$work/www"
head -c 1024 /dev/urandom > "$work/www/1k.bin"
head -c 16384 /dev/urandom > "$work/www/16k.bin"
head -c 1048576 /dev/urandom > "$work/www/1m.bin"

dotnet build samples/HttpStaticServer -c Release -v q -nologo >/dev/null
dotnet build bench/KestrelStaticFiles -c Release -v q -nologo >/dev/null

cat > "$work/nginx.conf" <<CONF
user root;
worker_processes $(nproc);
pid $work/nginx.pid;
error_log $work/error.log;
daemon on;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  tcp_nodelay on;
  keepalive_requests 10000000;
  open_file_cache max=1000 inactive=60s;
  default_type application/octet-stream;
  server { listen 127.0.0.1:18081; root $work/www; }
}
CONF

wait_port() { for _ in $(seq 1 100); do (exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0; sleep 0.1; done; echo "port $1 never opened" >&2; return 1; }

# All three servers run at once (idle ones cost nothing measurable) and take turns: for each file and
# each repetition, every server gets one wrk run, in a fresh order each repetition, so background load
# and the machine's drift hit them alike (running each server's runs back to back did not).
# Both .NET servers run with the same GC: DOTNET_gcServer=$GC_SERVER (default 1, server GC, what
# KestrelStaticFiles.csproj asks for; GC_SERVER=0 for workstation GC) overrides their runtimeconfig.
# What still differs, on purpose: the sample server runs socket completions inline (its default,
# docs/http-static-server.md); Kestrel uses its own transport threads. PIN=1 pins the servers to CPU 1
# and wrk to CPU 0 (taskset).
GC_SERVER=${GC_SERVER:-1}
PIN=${PIN:-0}
server_cpu=(); client_cpu=()
if [ "$PIN" = 1 ]; then server_cpu=(taskset -c 1); client_cpu=(taskset -c 0); fi
export DOTNET_gcServer=$GC_SERVER

echo "# $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%FT%TZ)"
echo "# wrk -t2 -c$conns -d${secs}s, $reps runs per server and file, servers interleaved in a fresh order per run; DOTNET_gcServer=$GC_SERVER for both .NET servers; pinned=$PIN"
echo "| server | file | req/s | MB/s |"
echo "|---|---|---|---|"

"${server_cpu[@]}" dotnet samples/HttpStaticServer/bin/Release/net10.0/HttpStaticServer.dll "$work/www" 18080 >/dev/null & zc=$!
"${server_cpu[@]}" nginx -c "$work/nginx.conf"
"${server_cpu[@]}" dotnet bench/KestrelStaticFiles/bin/Release/net10.0/KestrelStaticFiles.dll "$work/www" 18082 >/dev/null & ks=$!
wait_port 18080; wait_port 18081; wait_port 18082
declare -A name=([18080]="HttpStaticServer (ZeroCopy.Net)" [18081]="nginx $(nginx -v 2>&1 | cut -d/ -f2)" [18082]="Kestrel UseStaticFiles")

mkdir -p bench/results
raw="bench/results/http-raw-$(date -u +%Y-%m-%dT%H%M%SZ).txt"
echo "# port file run req/s MB/s (18080 HttpStaticServer, 18081 nginx, 18082 Kestrel)" > "$raw"
for f in 1k.bin 16k.bin 1m.bin; do
  for rep in $(seq 1 "$reps"); do
    for port in $(printf '%s\n' 18080 18081 18082 | shuf --random-source=<(yes "$rep$f")); do
      out=$("${client_cpu[@]}" wrk -t2 -c"$conns" -d"${secs}s" "http://127.0.0.1:$port/$f")
      rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
      tr=$(echo "$out" | awk '/Transfer\/sec/ {v=$2; if (v ~ /GB/) {sub("GB","",v); v*=1024} else if (v ~ /MB/) {sub("MB","",v)} else if (v ~ /KB/) {sub("KB","",v); v/=1024}; print v}')
      echo "$port $f $rep $rps $tr" >> "$raw"
    done
  done
done
kill $zc $ks; wait $zc $ks 2>/dev/null || true
kill "$(cat "$work/nginx.pid")"; rm -f "$work/nginx.pid"

# req/s median [min-max] per server and file, MB/s of the median run.
for port in 18080 18081 18082; do
  for f in 1k.bin 16k.bin 1m.bin; do
    sorted=$(awk -v p="$port" -v f="$f" '$1 == p && $2 == f {print $4, $5}' "$raw" | sort -n)
    med=$(echo "$sorted" | sed -n "$(( (reps + 1) / 2 ))p")
    echo "| ${name[$port]} | $f | $(echo "$med" | awk '{printf "%.0f", $1}') [$(echo "$sorted" | head -1 | awk '{printf "%.0f", $1}')-$(echo "$sorted" | tail -1 | awk '{printf "%.0f", $1}')] | $(echo "$med" | awk '{printf "%.0f", $2}') |"
  done
done
echo "# raw per-run rows: $raw"
