#!/usr/bin/env bash
# SendPinnedAsync vs Socket.SendAsync where the network costs nothing and the kernel does not copy.
#
# Builds a private network namespace holding both ends of a veth pair, gives the sending end an
# address and a permanent neighbour entry for the destination, and drops every packet at that
# end's nftables `netdev` egress hook. UDP sent there with UDP_SEGMENT is pinned, handed to the
# device path and dropped, never copied: sender-bound zero-copy. Then runs the same harness on
# loopback TCP (where the kernel always copies) inside the same namespace. No packet leaves the
# namespace. Then the same workload in plain C (raw_udp.c, built here with gcc), on 4 KiB pages and
# on huge pages: the ceiling, measured in the same run; and raw C io_uring (raw_uring.c, liburing:
# SEND, SEND_ZC, SEND_ZC from registered buffers at queue depth 8). Run as root.
# Usage: bench/ZeroCopy.Net.Bench.Pinned/veth/run.sh [--seconds S] [--rounds N] [other harness options, e.g. --threshold 0]
# The library's two engines in the same run: --paths bcl,pinned,pinned-iouring (pinned = the default
# engine, epoll; pinned-iouring = ZeroCopySocketOptions.Engine = IoUring). Datagram bursts
# (SendPinnedDatagramsAsync, --burst N datagrams per call, default 8 = raw_uring's depth):
# --paths pinned,pinned-iouring,pinned-epoll-burst,pinned-iouring-burst,pinned-burst (pinned-burst = Auto:
# the engine the process measured cheaper on its first bursts).
# Many sockets (issue 12): --sockets N (default 1) gives the harness N sockets with N concurrent
# sender tasks, the raw C ceilings N sockets sent to round-robin from one thread (raw_uring: one
# ring shared by the N sockets, depth counted per ring), and the loopback TCP run N connections.
# The multi-socket table, one run per count:
#   for n in 1 4 16 64; do bench/ZeroCopy.Net.Bench.Pinned/veth/run.sh --sockets $n --paths bcl,pinned; done
# URING=0 skips the raw C io_uring ceilings (the epoll engine's runs need only raw_udp).
# --sizes 8192,65536 reaches the raw C programs too (their SIZES variable). raw_udp drains the error
# queue every 8 zero-copy sends per socket, the library's schedule (DrainEverySends), so both pay the
# same completion cost per send.
set -euo pipefail
cd "$(dirname "$0")/../../.."

NS=zcbench$$
SRC=10.77.0.1
DST=10.77.0.2
PORT=9000

if [ "$(id -u)" != 0 ]; then
  echo "run as root (needs ip netns and nft)" >&2
  exit 1
fi
if ! command -v nft >/dev/null || ! command -v ip >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nftables iproute2 >/dev/null
fi

cleanup() { ip netns del "$NS" 2>/dev/null || true; }
trap cleanup EXIT

ip netns add "$NS"
ip -n "$NS" link set lo up
ip -n "$NS" link add zc0 type veth peer name zc1
ip -n "$NS" addr add "$SRC/24" dev zc0
ip -n "$NS" link set zc0 up
ip -n "$NS" link set zc1 up
ip -n "$NS" neigh replace "$DST" lladdr 02:00:00:00:77:02 dev zc0 nud permanent
ip netns exec "$NS" nft -f - <<NFT
table netdev zcbench {
  chain drop_egress {
    type filter hook egress device "zc0" priority 0; policy drop;
  }
}
NFT

SECS=1.5
ROUNDS=3
SOCKETS=1
SIZES= # empty: the raw C programs' default, the harness's (8192,16384,32768,65536)
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  case "${args[$i]}" in
    --seconds) SECS=${args[$((i + 1))]} ;;
    --rounds) ROUNDS=${args[$((i + 1))]} ;;
    --sockets) SOCKETS=${args[$((i + 1))]} ;;
    --sizes) SIZES=${args[$((i + 1))]} ;;
  esac
done

dotnet build bench/ZeroCopy.Net.Bench.Pinned -c Release -v q -nologo >/dev/null
DLL=bench/ZeroCopy.Net.Bench.Pinned/bin/Release/net10.0/ZeroCopy.Net.Bench.Pinned.dll
RAW=$(mktemp -d)/raw_udp
gcc -std=gnu11 -O2 -Wall -Wextra -Werror -o "$RAW" bench/ZeroCopy.Net.Bench.Pinned/veth/raw_udp.c
# The io_uring ceiling needs liburing's header (the library itself does not use liburing).
if [ ! -f /usr/include/liburing.h ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq liburing-dev >/dev/null
fi
RAW_URING=$(dirname "$RAW")/raw_uring
gcc -std=gnu11 -O2 -Wall -Wextra -Werror -o "$RAW_URING" bench/ZeroCopy.Net.Bench.Pinned/veth/raw_uring.c -luring

echo "# machine: $(nproc) CPUs, $(uname -r), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), THP $(cat /sys/kernel/mm/transparent_hugepage/enabled), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# rig: sockets=$SOCKETS (harness: $SOCKETS concurrent sender tasks; raw C: round-robin from one thread, raw_uring one ring with the depth per ring); raw_udp drains every 8 zero-copy sends per socket, as the library does; sizes=${SIZES:-8192,16384,32768,65536}"

# Two workloads: "stamp" writes 64 bytes into every 4 KiB page before each send (a program that
# generates its data); "none" sends the bytes as they lie (a cache serving values written long ago).
for write in stamp none; do
  echo "## veth rig: UDP, UDP_SEGMENT=1400, dropped at zc0 egress, write=$write"
  ip netns exec "$NS" dotnet "$DLL" udp "$DST" "$PORT" --write "$write" "$@"
  echo "## raw C on the same rig (the ceiling), write=$write: 4 KiB pages, then huge pages"
  stampflag=$([ "$write" = stamp ] && echo 1 || echo 0)
  ip netns exec "$NS" env SIZES="$SIZES" "$RAW" "$DST" "$PORT" "$SECS" "$ROUNDS" 0 "$stampflag" "$SOCKETS"
  ip netns exec "$NS" env SIZES="$SIZES" "$RAW" "$DST" "$PORT" "$SECS" "$ROUNDS" 1 "$stampflag" "$SOCKETS"
  if [ "${URING:-1}" = 1 ]; then
  echo "## raw C io_uring on the same rig, write=$write: SEND / SEND_ZC / SEND_ZC fixed buffers, depth 8; 4 KiB pages, then huge pages"
  ip netns exec "$NS" env SIZES="$SIZES" "$RAW_URING" "$DST" "$PORT" "$SECS" "$ROUNDS" 0 "$stampflag" 8 "$SOCKETS"
  ip netns exec "$NS" env SIZES="$SIZES" "$RAW_URING" "$DST" "$PORT" "$SECS" "$ROUNDS" 1 "$stampflag" 8 "$SOCKETS"
  echo "## raw C io_uring at depth 1 (one request per io_uring_enter, as one awaited SendPinnedAsync): 4 KiB pages"
  ip netns exec "$NS" env SIZES="$SIZES" "$RAW_URING" "$DST" "$PORT" "$SECS" "$ROUNDS" 0 "$stampflag" 1 "$SOCKETS"
  fi
done
echo "## loopback TCP"
ip netns exec "$NS" dotnet "$DLL" tcp "$@"
echo "## drop counters (every packet must have been dropped at the hook, none sent on)"
ip netns exec "$NS" nft list table netdev zcbench | grep -E "policy|counter" || true
ip -n "$NS" -s link show zc1 | sed -n '1,6p'
