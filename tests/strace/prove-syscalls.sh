#!/usr/bin/env bash
# Shows, with strace -f, which syscalls carry a file's bytes:
#   - the Linux path must issue sendfile(SOCKET, FILE, ...) for every byte,
#   - the forced portable path must issue no sendfile at all (it copies with pread + sendto).
# Usage: tests/strace/prove-syscalls.sh [FILE]   (default: a 3 MiB + 13 byte temp file)
# The xunit twin is tests/ZeroCopy.Net.Tests/Strace/SendFileStraceProofTests.cs.
set -euo pipefail
cd "$(dirname "$0")/../.."

command -v strace >/dev/null || { echo "strace is not installed (apt-get install strace)" >&2; exit 2; }

probe_project=tests/ZeroCopy.Net.StraceProbe
probe=$probe_project/bin/Release/net10.0/ZeroCopy.Net.StraceProbe.dll
dotnet build "$probe_project" -c Release -v quiet -nologo >/dev/null

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
file=${1:-$work/payload.bin}
if [ $# -eq 0 ]; then
  head -c $((3 * 1024 * 1024 + 13)) /dev/urandom >"$file"
fi
size=$(stat -c %s "$file")

# Sums the return values of the traced calls NAME(FD, ...) = N (awk only: no grep exit codes under pipefail).
sum_bytes() { # trace fd name-regex
  awk -v re="^($3)\\($2, " '$0 ~ re && match($0, /\) += [0-9]+$/) { sub(/.*\) += /, ""); s += $0 } END { print s + 0 }' "$1"
}
count_calls() { # trace fd name-regex
  awk -v re="^($3)\\($2, " '$0 ~ re { n++ } END { print n + 0 }' "$1"
}

status=0
for path in linux portable; do
  # -ff: one trace file per thread, so no call is split into "<unfinished ...>" and "resumed" halves.
  out=$(strace -f -ff -qq -o "$work/$path" -e trace=sendfile,sendto,sendmsg,write,writev dotnet "$probe" sendfile "$path" "$file")
  trace=$work/$path.strace
  cat "$work/$path".[0-9]* >"$trace"
  fd=$(sed -n 's/^socket-fd=//p' <<<"$out")
  echo "== $path path ($size bytes, socket fd $fd)"
  sed 's/^/   probe: /' <<<"$out"
  sendfile_bytes=$(sum_bytes "$trace" "$fd" sendfile)
  copied_bytes=$(sum_bytes "$trace" "$fd" 'sendto|sendmsg|write|writev')
  echo "   sendfile lines (first 5):"
  awk '/sendfile\(/ { print "     " $0; if (++n == 5) exit } END { if (n == 0) print "     (none)" }' "$trace"
  echo "   copying sends on fd $fd: $(count_calls "$trace" "$fd" 'sendto|sendmsg|write|writev') calls, $copied_bytes bytes"
  echo "   bytes through sendfile on fd $fd: $sendfile_bytes"
  grep -q '^verified=true$' <<<"$out" || { echo "   FAIL: the peer did not receive the file intact" >&2; status=1; }
  if [ "$path" = linux ]; then
    [ "$sendfile_bytes" -eq "$size" ] && [ "$copied_bytes" -eq 0 ] \
      && echo "   OK: every byte went through sendfile(2)" \
      || { echo "   FAIL: expected $size bytes through sendfile and none copied" >&2; status=1; }
  else
    if [ "$(awk '/sendfile\([0-9]+, / { n++ } END { print n + 0 }' "$trace")" -ne 0 ]; then
      echo "   FAIL: the portable path called sendfile" >&2; status=1
    else
      echo "   OK: no sendfile; $copied_bytes bytes copied through user space"
    fi
  fi
done
exit $status
