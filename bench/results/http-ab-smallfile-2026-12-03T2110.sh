#!/usr/bin/env bash
# A/B: sample server with SmallFileThreshold 16 KiB (A, main) vs 8 KiB (B, /work/wt-test) vs nginx, 16k.bin and 1k.bin.
# Ran on: 2-vCPU AMD EPYC VM (model name: AMD EPYC), Linux 6.18.44-fc-v1147, .NET 10.0.12; results in
# http-ab-smallfile-2026-12-03T2110.txt. The sendfile-vs-copy result is a property of the CPU: rerun it on yours.
set -uo pipefail
echo "# $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), kernel $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)"
work=$(mktemp -d /tmp/zc-ab.XXXXXX)
mkdir -p $work/www
head -c 1024 /dev/urandom > $work/www/1k.bin
head -c 16384 /dev/urandom > $work/www/16k.bin
head -c 12288 /dev/urandom > $work/www/12k.bin
. "$(dirname "$0")/../http-bench-common.sh"
write_nginx_conf "$work"
export DOTNET_gcServer=1
taskset -c 1 dotnet /work/main/samples/HttpStaticServer/bin/Release/net10.0/HttpStaticServer.dll $work/www 18080 >/dev/null & a=$!
taskset -c 1 dotnet /work/wt-test/samples/HttpStaticServer/bin/Release/net10.0/HttpStaticServer.dll $work/www 18090 >/dev/null & b=$!
taskset -c 1 nginx -c $work/nginx.conf
sleep 3
for f in ${FILES:-16k.bin}; do
for port in 18080 18090 18081; do wrk -t2 -c32 -d1s http://127.0.0.1:$port/$f >/dev/null; done
for rep in 1 2 3 4 5 6 7; do
  for port in $(printf '%s\n' 18080 18090 18081 | shuf); do
    pids=$([ $port = 18080 ] && echo $a || ([ $port = 18090 ] && echo $b || echo "$(cat $work/nginx.pid) $(pgrep -P $(cat $work/nginx.pid) | tr '\n' ' ')"))
    t0=0; for p in $pids; do t0=$((t0 + $(awk '{print $14+$15}' /proc/$p/stat))); done
    out=$(taskset -c 0 wrk -t2 -c32 -d4s http://127.0.0.1:$port/$f)
    t1=0; for p in $pids; do t1=$((t1 + $(awk '{print $14+$15}' /proc/$p/stat))); done
    req=$(echo "$out" | awk '/requests in/ {print $1}'); rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
    echo "$f $port $rep $rps $(( (t1-t0)*10000/req )) us/req"
  done
done
done
kill $a $b; kill $(cat $work/nginx.pid); rm -rf $work
