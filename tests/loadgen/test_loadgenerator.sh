#!/bin/sh
# End-to-end test of the loadgenerator program against a python stand-in
# for the frontend (tests/loadgen/fake_frontend.py): usage errors exit 2
# naming the setting; a healthy frontend gives exit 0, a summary with every
# route and zero failures, one session per user, no form the frontend would
# refuse; a frontend answering 500 gives exit 1 (or 0 with the threshold at
# 1); SIGINT ends a run cleanly; nothing listening gives exit 1.
set -u
B=${MESHSIM_BUILDDIR:-.}
S=${MESHSIM_SRCDIR:-.}
PY=${PYTHON3:-python3}
LG="$B/loadgenerator"
tmp=$(mktemp -d)
fpid=
lpid=
cleanup() {
  [ -n "$lpid" ] && kill -9 "$lpid" 2>/dev/null
  [ -n "$fpid" ] && kill "$fpid" 2>/dev/null && wait "$fpid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }

# Starts the fake frontend with extra arguments; sets $port and $fpid.
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

fake_stat() { # fake_stat PYTHON-EXPR-ON-s
  "$PY" -c "import json,sys,urllib.request
s=json.load(urllib.request.urlopen('http://127.0.0.1:$port/_fake_stats'))
print($1)"
}

json_get() { # json_get FILE PYTHON-EXPR-ON-j
  "$PY" -c "import json,sys; j=json.load(open(sys.argv[1])); print($2)" "$1"
}

# 1. Usage and configuration errors: exit 2, naming the setting.
"$LG" --help | grep -q -- '--max-failure-ratio' || fail "--help lacks --max-failure-ratio"
env -u FRONTEND_ADDR "$LG" 2>"$tmp/err"; rc=$?
[ $rc = 2 ] || fail "no FRONTEND_ADDR gave exit $rc"
grep -q FRONTEND_ADDR "$tmp/err" || fail "FRONTEND_ADDR not named: $(cat "$tmp/err")"
FRONTEND_ADDR=x:1 USERS=abc "$LG" 2>"$tmp/err"; rc=$?
[ $rc = 2 ] || fail "USERS=abc gave exit $rc"
grep -q 'USERS=abc' "$tmp/err" || fail "USERS=abc not named: $(cat "$tmp/err")"
FRONTEND_ADDR=x:1 "$LG" --duration 5parsecs 2>"$tmp/err"; rc=$?
[ $rc = 2 ] && grep -q -- '--duration 5parsecs' "$tmp/err" || fail "bad --duration: $rc $(cat "$tmp/err")"
FRONTEND_ADDR=x:1 "$LG" --no-such-flag 2>"$tmp/err"; rc=$?
[ $rc = 2 ] && grep -q -- '--no-such-flag' "$tmp/err" || fail "bad flag: $rc $(cat "$tmp/err")"
FRONTEND_ADDR=x:1 MAX_FAILURE_RATIO=2 "$LG" 2>"$tmp/err"; rc=$?
[ $rc = 2 ] && grep -q 'MAX_FAILURE_RATIO=2' "$tmp/err" || fail "bad ratio: $rc $(cat "$tmp/err")"

# 2. A healthy frontend: exit 0, every route, no failures.
start_fake
# (Skipped while the live runtime has no HTTP client.)
FRONTEND_ADDR="127.0.0.1:$port" USERS=1 timeout 30 "$LG" --duration 0.5s \
  --stats-interval 0 >"$tmp/probe.out" 2>&1
if grep -q 'no HTTP client in this runtime' "$tmp/probe.out"; then
  echo "SKIP: the live runtime has no HTTP client yet"; exit 77
fi
start_fake # fresh counters
FRONTEND_ADDR="http://127.0.0.1:$port" USERS=5 RATE=5 timeout 60 "$LG" \
  --duration 5s --think-min 0.05 --think-max 0.3 --stats-interval 1s \
  --json "$tmp/ok.json" >"$tmp/ok.out" 2>&1; rc=$?
cat "$tmp/ok.out"
[ $rc = 0 ] || fail "healthy run exited $rc"
for r in 'GET    / ' 'GET    /product/\[id\]' 'POST   /cart ' 'GET    /cart ' \
         'POST   /setCurrency' 'POST   /cart/checkout' 'Aggregated'; do
  grep -q "^ *$r" "$tmp/ok.out" || fail "no row '$r' in the summary"
done
grep -q '^Final summary:' "$tmp/ok.out" || fail "no final summary"
grep -q 'duration reached: failure ratio 0.00%.*PASS' "$tmp/ok.out" || fail "no PASS verdict"
n=$(grep -c '^loadgenerator: 127.0.0.1' "$tmp/ok.out")
[ "$n" -ge 3 ] || fail "expected live tables every second, got $n"
req=$(json_get "$tmp/ok.json" "j['total']['requests']")
fails=$(json_get "$tmp/ok.json" "j['total']['failures']")
[ "$req" -ge 50 ] || fail "only $req requests in 5 s"
[ "$fails" = 0 ] || fail "$fails failures against a healthy frontend"
[ "$(json_get "$tmp/ok.json" "j['passed']")" = True ] || fail "json: not passed"
[ "$(json_get "$tmp/ok.json" "j['users_spawned']")" = 5 ] || fail "json: not 5 users"
[ "$(json_get "$tmp/ok.json" "int(0 < j['cpu']['total_ns'] < 5e9 and j['cpu']['user_ns'] + j['cpu']['sys_ns'] > 0)")" = 1 ] ||
  fail "json: no plausible cpu: $(json_get "$tmp/ok.json" "j.get('cpu')")"
json_get "$tmp/ok.json" "[r['p99_ms'] >= r['p95_ms'] >= r['median_ms'] > 0 for r in j['routes']]" \
  | grep -q False && fail "percentiles out of order"
[ "$(fake_stat "s['sessions']")" = 5 ] || fail "expected 5 sessions: $(fake_stat s)"
[ "$(fake_stat "s['unprocessable']")" = 0 ] || fail "frontend refused forms: $(fake_stat "s['problems']")"
[ "$(fake_stat "s['checkouts'] > 0")" = True ] || fail "no checkout went through"
# The fake saw each POST's redirect as its own GET, we did not count them.
freq=$(fake_stat "s['requests']")
[ "$freq" -gt "$req" ] || fail "fake saw $freq requests, we counted $req: redirects not followed?"

# 3. A frontend failing with 500: exit 1; with the threshold at 1: exit 0.
start_fake --fail-status 500
FRONTEND_ADDR="127.0.0.1:$port" USERS=5 RATE=5 timeout 60 "$LG" \
  --duration 3s --think-min 0.05 --think-max 0.3 --stats-interval 0 \
  >"$tmp/bad.out" 2>&1; rc=$?
cat "$tmp/bad.out"
[ $rc = 1 ] || fail "failing frontend gave exit $rc"
grep -q 'HTTP 500' "$tmp/bad.out" || fail "failures by reason lack HTTP 500"
grep -q 'FAIL$' "$tmp/bad.out" || fail "no FAIL verdict"
FRONTEND_ADDR="127.0.0.1:$port" USERS=2 RATE=5 timeout 60 "$LG" \
  --duration 2s --think-min 0.05 --think-max 0.3 --stats-interval 0 \
  --max-failure-ratio 100% >"$tmp/bad2.out" 2>&1; rc=$?
[ $rc = 0 ] || { cat "$tmp/bad2.out"; fail "threshold 100% gave exit $rc"; }

# 4. SIGINT ends an open-ended run with a summary and exit 0.
start_fake
FRONTEND_ADDR="127.0.0.1:$port" USERS=3 RATE=10 "$LG" --think-min 0.05 \
  --think-max 0.2 --stats-interval 0 >"$tmp/int.out" 2>&1 &
lpid=$!
sleep 2
kill -INT "$lpid"
i=0
while kill -0 "$lpid" 2>/dev/null; do
  i=$((i+1)); [ $i -le 150 ] || fail "loadgenerator did not exit within 15 s of SIGINT"
  sleep 0.1
done
wait "$lpid"; rc=$?; lpid=
cat "$tmp/int.out"
[ $rc = 0 ] || fail "SIGINT run exited $rc"
grep -q '^interrupted: failure ratio 0.00%' "$tmp/int.out" || fail "no summary after SIGINT"

# 5. Nothing listening: every request fails, exit 1.
kill "$fpid"; wait "$fpid" 2>/dev/null; fpid=
FRONTEND_ADDR="127.0.0.1:$port" USERS=2 RATE=10 timeout 60 "$LG" \
  --duration 2s --think-min 0.1 --think-max 0.2 --stats-interval 0 \
  --request-timeout 1s >"$tmp/down.out" 2>&1; rc=$?
cat "$tmp/down.out"
[ $rc = 1 ] || fail "unreachable frontend gave exit $rc"
grep -q 'UNAVAILABLE' "$tmp/down.out" || fail "no UNAVAILABLE reason"
echo "PASS: loadgenerator"
