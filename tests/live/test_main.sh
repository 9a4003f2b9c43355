#!/bin/sh
# test_main.sh — the live runtime as a process (rt_live_main): command line,
# environment errors (exit 2), the "listening" log line with an ephemeral
# port, a real HTTP/2 gRPC exchange (nghttp, when installed), and a graceful
# SIGTERM shutdown (exit 0). Bounded: every wait has a timeout.
set -u
bin=${LIVE_TESTSVC:-./tests/live/live_testsvc}
tmp=$(mktemp -d)
pid=
cleanup() {
  [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; [ -f "$tmp/out" ] && cat "$tmp/out"; exit 1; }

"$bin" --help > "$tmp/help" || fail "--help exit status"
grep -q PORT "$tmp/help" || fail "--help does not list PORT"
grep -q SHUTDOWN_GRACE_SECONDS "$tmp/help" || fail "--help lacks SHUTDOWN_GRACE_SECONDS"
"$bin" --version | grep -q testservice || fail "--version"
"$bin" --bogus > /dev/null 2>&1; [ $? -eq 2 ] || fail "unknown argument must exit 2"

for bad in "PORT=abc" "PORT=70000" "BIND_ADDR=nowhere" "SHUTDOWN_GRACE_SECONDS=x" \
           "GRPC_KEEPALIVE_SECONDS=-3" "LOG_LEVEL=loud" "TESTSVC_FAIL=1" \
           "HTTP_MAX_BODY_BYTES=lots" "HTTP_REQUEST_TIMEOUT_SECONDS=0" \
           "HTTP_IDLE_TIMEOUT_SECONDS=x"; do
  env "$bad" "$bin" > "$tmp/out" 2> "$tmp/err"
  st=$?
  [ $st -eq 2 ] || fail "$bad: exit $st, want 2"
  var=${bad%%=*}; val=${bad#*=}
  grep -q "$var" "$tmp/err" && grep -q -- "$val" "$tmp/err" || fail "$bad: stderr: $(cat "$tmp/err")"
  grep -q '"severity":"error"' "$tmp/out" || fail "$bad: no JSON error line"
done

# Start on an ephemeral port and learn it from the log.
PORT=0 BIND_ADDR=127.0.0.1 SHUTDOWN_GRACE_SECONDS=3 "$bin" > "$tmp/out" 2>&1 &
pid=$!
port=
i=0
while [ $i -lt 100 ]; do
  port=$(sed -n 's/.*"message":"listening".*"port":"\([0-9]*\)".*/\1/p' "$tmp/out")
  [ -n "$port" ] && break
  sleep 0.05; i=$((i + 1))
done
[ -n "$port" ] || fail "no listening line"
grep -q '"address":"127.0.0.1"' "$tmp/out" || fail "listening line lacks address"

if command -v nghttp > /dev/null 2>&1; then
  # grpc.health.v1.Health/Check with an empty request: 5 zero bytes.
  printf '\000\000\000\000\000' > "$tmp/req"
  timeout 10 nghttp -v -H ':method: POST' -H 'content-type: application/grpc' \
      -H 'te: trailers' -d "$tmp/req" \
      "http://127.0.0.1:$port/grpc.health.v1.Health/Check" > "$tmp/h2" 2>&1 \
      || fail "nghttp: $(cat "$tmp/h2")"
  grep -q 'grpc-status: 0' "$tmp/h2" || fail "health check: $(cat "$tmp/h2")"
  # Wrong content-type: HTTP 415.
  timeout 10 nghttp -v -H ':method: POST' -H 'content-type: text/plain' \
      -d "$tmp/req" "http://127.0.0.1:$port/grpc.health.v1.Health/Check" \
      > "$tmp/h2" 2>&1
  grep -q ':status: 415' "$tmp/h2" || fail "content-type: $(cat "$tmp/h2")"
  # Unknown method: trailers-only UNIMPLEMENTED (12).
  timeout 10 nghttp -v -H ':method: POST' -H 'content-type: application/grpc' \
      -d "$tmp/req" "http://127.0.0.1:$port/x.Y/Z" > "$tmp/h2" 2>&1
  grep -q 'grpc-status: 12' "$tmp/h2" || fail "unimplemented: $(cat "$tmp/h2")"
fi

kill -TERM "$pid"
i=0
while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
kill -0 "$pid" 2>/dev/null && fail "still running 5 s after SIGTERM"
wait "$pid"; st=$?
pid=
[ $st -eq 0 ] || fail "exit status $st after SIGTERM"
grep -q '"message":"shutting down"' "$tmp/out" || fail "no shutting down line"
echo "ok"
