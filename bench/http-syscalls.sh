#!/usr/bin/env bash
# Where a request's time goes in samples/HttpStaticServer and in nginx (issue 17): syscalls per request
# (strace -c -f attached to the running server during one wrk run; strace slows the server, so only the
# counts are kept, never the rates) and, for the sample server, a CPU profile (perf, with the runtime's
# perf map so JIT-compiled frames have names) during a wrk run without strace.
# Usage: bench/http-syscalls.sh [seconds=5] [connections=32]   (root, for nginx and perf)
#   FILES="1k.bin 16k.bin" chooses the files. Needs wrk, nginx, strace, perf (linux-perf).
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-5}; conns=${2:-32}
files=${FILES:-"1k.bin 16k.bin"}
work=$(mktemp -d /tmp/zc-http-syscalls.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null || true; [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true; rm -rf "$work"' EXIT
. bench/http-bench-common.sh # the cd above made the repository root the working directory
make_site "$work"

dotnet build samples/HttpStaticServer -c Release -v q -nologo >/dev/null
write_nginx_conf "$work"

wait_port() { for _ in $(seq 1 100); do (exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0; sleep 0.1; done; echo "port $1 never opened" >&2; return 1; }
DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0 DOTNET_gcServer=1 dotnet samples/HttpStaticServer/bin/Release/net10.0/HttpStaticServer.dll "$work/www" 18080 >/dev/null & zc=$!
nginx -c "$work/nginx.conf"
wait_port 18080; wait_port 18081
nginx_pids="$(cat "$work/nginx.pid") $(pgrep -P "$(cat "$work/nginx.pid")" | tr '\n' ' ')"

echo "# $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), kernel $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%FT%TZ)"
echo "# wrk -t2 -c$conns -d${secs}s; syscalls per request = strace -c count / requests wrk completed under strace"
for f in $files; do
  for server in sample nginx; do
    if [ $server = sample ]; then port=18080; pids=$zc; else port=18081; pids=$nginx_pids; fi
    wrk -t2 -c"$conns" -d1s "http://127.0.0.1:$port/$f" >/dev/null # warm: JIT, open-file caches
    strace -qq -c -f -o "$work/$server.strace" $(for p in $pids; do echo -p "$p"; done) & st=$!
    sleep 1
    requests=$(wrk -t2 -c"$conns" -d"${secs}s" "http://127.0.0.1:$port/$f" | awk '/requests in/ {print $1}')
    kill -INT $st; wait $st 2>/dev/null || true
    echo "## $server $f: $requests requests under strace; calls per request (>= 0.01):"
    awk -v n="$requests" '$1 ~ /^[0-9.]+$/ && NF >= 5 { calls = $4; name = $NF; if (NF == 6) errors = $5; else errors = 0; if (calls / n >= 0.01) printf "  %-16s %6.2f  (errors %.2f)\n", name, calls / n, errors / n }' "$work/$server.strace" | sort -k2 -n -r
  done
done

if command -v perf >/dev/null; then
  for f in $files; do
    echo "## perf profile of the sample server, $f (no strace), top 40 symbols by self time"
    perf record -F 999 -g -o "$work/perf.data" -p "$zc" -- sleep "$secs" >/dev/null 2>&1 & pr=$!
    sleep 0.5
    wrk -t2 -c"$conns" -d"$((secs - 1))s" "http://127.0.0.1:18080/$f" | awk '/Requests\/sec/ {print "# req/s under perf: " $2}'
    wait $pr || true
    perf report -i "$work/perf.data" --no-children --sort dso,sym --stdio -g none 2>/dev/null | grep -E '^ +[0-9]' | head -40 | cut -c1-200 || true
    echo "## perf, $f: share of samples by where they ran"
    perf report -i "$work/perf.data" --no-children --sort dso --stdio -g none 2>/dev/null | grep -E '^ +[0-9]' | head -12 || true
  done
fi
kill $zc; wait $zc 2>/dev/null || true
