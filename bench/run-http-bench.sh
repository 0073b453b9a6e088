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

echo "# $(nproc) CPUs, $(uname -r), wrk -t2 -c$conns -d${secs}s, $reps runs each; req/s median [min-max], transfer MB/s of the median run"
echo "| server | file | req/s | MB/s |"
echo "|---|---|---|---|"
run() { # name port
  for f in 1k.bin 16k.bin 1m.bin; do
    results=()
    for _ in $(seq 1 "$reps"); do
      out=$(wrk -t2 -c"$conns" -d"${secs}s" "http://127.0.0.1:$2/$f")
      rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
      tr=$(echo "$out" | awk '/Transfer\/sec/ {v=$2; if (v ~ /GB/) {sub("GB","",v); v*=1024} else if (v ~ /MB/) {sub("MB","",v)} else if (v ~ /KB/) {sub("KB","",v); v/=1024}; print v}')
      results+=("$rps $tr")
    done
    sorted=$(printf '%s\n' "${results[@]}" | sort -n)
    med=$(echo "$sorted" | sed -n "$(( (reps + 1) / 2 ))p")
    echo "| $1 | $f | $(echo "$med" | awk '{printf "%.0f", $1}') [$(echo "$sorted" | head -1 | awk '{printf "%.0f", $1}')-$(echo "$sorted" | tail -1 | awk '{printf "%.0f", $1}')] | $(echo "$med" | awk '{printf "%.0f", $2}') |"
  done
}

dotnet samples/HttpStaticServer/bin/Release/net10.0/HttpStaticServer.dll "$work/www" 18080 >/dev/null & zc=$!
wait_port 18080; run "HttpStaticServer (ZeroCopy.Net)" 18080; kill $zc; wait $zc 2>/dev/null || true

nginx -c "$work/nginx.conf"; wait_port 18081; run "nginx $(nginx -v 2>&1 | cut -d/ -f2)" 18081; kill "$(cat "$work/nginx.pid")"; rm -f "$work/nginx.pid"

dotnet bench/KestrelStaticFiles/bin/Release/net10.0/KestrelStaticFiles.dll "$work/www" 18082 >/dev/null & ks=$!
wait_port 18082; run "Kestrel UseStaticFiles" 18082; kill $ks; wait $ks 2>/dev/null || true
