#!/bin/sh
# Our locustfile (tests/locust/locustfile.py) against the python stand-in
# for the frontend: run_locust.sh passes with zero failures, every task's
# route is exercised, each user keeps one session, and the checkout forms
# are ones the frontend accepts; against a frontend answering 500 the
# script fails. Skipped (77) without Locust. The run against the real shop
# is wired separately (it needs `meshsim up` with the frontend).
set -u
S=${MESHSIM_SRCDIR:-.}
PY=${PYTHON3:-python3}
command -v "${LOCUST:-locust}" >/dev/null 2>&1 || { echo "SKIP: locust not installed"; exit 77; }
tmp=$(mktemp -d)
fpid=
cleanup() {
  [ -n "$fpid" ] && kill "$fpid" 2>/dev/null && wait "$fpid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }

start_fake() {
  [ -n "$fpid" ] && { kill "$fpid" 2>/dev/null; wait "$fpid" 2>/dev/null; }
  rm -f "$tmp/port"
  "$PY" "$S/tests/loadgen/fake_frontend.py" --port-file "$tmp/port" "$@" &
  fpid=$!
  i=0
  until [ -s "$tmp/port" ]; do
    i=$((i+1)); [ $i -le 100 ] || fail "fake frontend did not start"
    sleep 0.1
  done
  port=$(cat "$tmp/port")
}
fake_stat() {
  "$PY" -c "import json,urllib.request
s=json.load(urllib.request.urlopen('http://127.0.0.1:$port/_fake_stats'))
print($1)"
}

start_fake
THINK_MIN=0.05 THINK_MAX=0.3 LOCUST_OUT="$tmp/ok" \
  sh "$S/tests/locust/run_locust.sh" "127.0.0.1:$port" 5 8 >"$tmp/ok.out" 2>&1; rc=$?
cat "$tmp/ok.out"
[ $rc = 0 ] || fail "run_locust.sh exited $rc against a healthy frontend"
grep -q 'run_locust: PASS' "$tmp/ok.out" || fail "no PASS line"
for r in 'GET    / ' 'GET    /product/\[id\]' 'POST   /cart ' 'GET    /cart ' \
         'POST   /setCurrency' 'POST   /cart/checkout'; do
  grep -q "run_locust: $r" "$tmp/ok.out" || fail "route '$r' never requested"
done
[ "$(fake_stat "s['sessions']")" = 5 ] || fail "expected 5 sessions: $(fake_stat s)"
[ "$(fake_stat "s['unprocessable']")" = 0 ] || fail "forms refused: $(fake_stat "s['problems']")"
[ "$(fake_stat "s['checkouts'] > 0")" = True ] || fail "no checkout went through"

start_fake --fail-status 500
THINK_MIN=0.05 THINK_MAX=0.3 sh "$S/tests/locust/run_locust.sh" \
  "http://127.0.0.1:$port" 2 3 >"$tmp/bad.out" 2>&1; rc=$?
cat "$tmp/bad.out"
[ $rc = 1 ] || fail "run_locust.sh exited $rc against a failing frontend"
grep -q 'run_locust: FAIL' "$tmp/bad.out" || fail "no FAIL line"
echo "PASS: locustfile"
