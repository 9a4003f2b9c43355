#!/bin/sh
# tests/check_layering.sh — service code sees only services/rt.h: no sockets,
# event loops, HTTP/2, threads, clocks, libc randomness or getenv. Checks
# every file under services/<name>/ (all but the runtime, services/live/)
# and services/common/. Comment lines are skipped. Exit 1 lists offenders.
set -u
top=${srcdir:-.}
status=0
inc='^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"](uv\.h|uv/|nghttp2/|sys/socket\.h|netinet/|arpa/inet\.h|pthread\.h|netdb\.h|sys/epoll\.h)'
call='(^|[^A-Za-z0-9_.>])(time|gettimeofday|clock_gettime|rand|random|srand|srandom|rand_r|drand48|getenv|secure_getenv)[[:space:]]*\('
comment='[[:space:]]*(\*|//|/\*)'
files=$(find "$top/services" -mindepth 2 -type f \( -name '*.c' -o -name '*.h' \) \
          ! -path "$top/services/live/*" | sort)
[ -n "$files" ] || { echo "check_layering: no service sources under $top/services"; exit 1; }
n=0
for f in $files; do
  n=$((n + 1))
  hits=$(grep -nE "$inc" "$f"; grep -nE "$call" "$f" | grep -vE "^[0-9]+:$comment")
  if [ -n "$hits" ]; then
    echo "$f: service code must use services/rt.h instead:"
    echo "$hits" | sed 's/^/  /'
    status=1
  fi
done
echo "check_layering: $n files checked"
exit $status
