#!/bin/sh
# End-to-end test of `meshsim up`: the leaf services start on loopback and
# report SERVING; --once stops them cleanly; a service killed with SIGKILL is
# restarted by the supervisor; `meshsim down` stops everything.
set -u
B=${MESHSIM_BUILDDIR:-.}
tmp=$(mktemp -d)
upid=
cleanup() {
  [ -n "$upid" ] && kill -9 "$upid" 2>/dev/null
  # Leave no service behind, whatever happened.
  for f in "$tmp"/s*/status; do
    [ -f "$f" ] && awk 'NR>1 && $3 ~ /^[0-9]+$/ {print $3}' "$f" | xargs -r kill -9 2>/dev/null
  done
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }

# 1. Bad usage is exit 2 with a message.
"$B/meshsim" up --no-such-flag 2>"$tmp/err"; rc=$?
[ $rc = 2 ] || fail "bad flag gave exit $rc"
grep -q -- '--no-such-flag' "$tmp/err" || fail "bad flag not named: $(cat "$tmp/err")"
"$B/meshsim" up --help | grep -q -- '--state-dir' || fail "up --help lacks --state-dir"
"$B/meshsim" up --probe-period 0 2>"$tmp/err"; rc=$?
[ $rc = 2 ] && grep -q -- "--probe-period: '0'" "$tmp/err" || fail "--probe-period 0 gave exit $rc"

# 2. --once: all serving, table printed, clean stop, exit 0.
# (its own loopback net and frontend port, so it can run beside other tests)
NET=127.0.7; PORT=18087
timeout 60 "$B/meshsim" up --once --state-dir "$tmp/s1" --net $NET --port $PORT --users 1 >"$tmp/once.out" 2>&1; rc=$?
cat "$tmp/once.out"
[ $rc = 0 ] || fail "up --once exited $rc"
n=$(grep -c ' SERVING ' "$tmp/once.out")
[ "$n" = 11 ] || fail "expected 11 SERVING rows, got $n"
grep -q '^loadgenerator .* Running ' "$tmp/once.out" || fail "loadgenerator not running"
grep -q '^currencyservice *127\.0\.7\.[0-9]*:7000 ' "$tmp/once.out" || fail "no currencyservice address row"
grep -q "^frontend *127\.0\.0\.1:$PORT " "$tmp/once.out" || fail "no frontend row on 127.0.0.1:$PORT"
grep -q "http://127.0.0.1:$PORT/" "$tmp/once.out" || fail "the shop's URL is not printed"
[ -f "$tmp/s1/cartservice/carts.db" ] || fail "cart database not under the state directory"
[ -s "$tmp/s1/logs/currencyservice.log" ] || fail "no service log written"
grep -q '"severity"' "$tmp/s1/logs/currencyservice.log" || fail "service log is not JSON lines"

# 3. Supervised: kill -9 one service, the supervisor restarts it.
"$B/meshsim" up --state-dir "$tmp/s2" --net $NET --port $PORT --users 0 --restart-backoff 0.5 --grace 2 \
  --probe-period 1 >"$tmp/up.out" 2>&1 &
upid=$!
i=0
until [ -f "$tmp/s2/status" ] && [ "$(grep -c ' SERVING ' "$tmp/s2/status")" = 11 ]; do
  i=$((i+1)); [ $i -le 300 ] || { cat "$tmp/up.out"; fail "services not serving in 30 s"; }
  sleep 0.1
done
victim=$(awk '$1=="currencyservice" {print $3}' "$tmp/s2/status")
[ -n "$victim" ] || fail "no pid for currencyservice"
kill -9 "$victim"
i=0
until awk '$1=="currencyservice" && $4=="SERVING" && $NF>=1 {ok=1} END {exit !ok}' "$tmp/s2/status"; do
  i=$((i+1)); [ $i -le 200 ] || { cat "$tmp/s2/status" "$tmp/up.out"; fail "currencyservice not restarted in 20 s"; }
  sleep 0.1
done
newpid=$(awk '$1=="currencyservice" {print $3}' "$tmp/s2/status")
[ "$newpid" != "$victim" ] || fail "same pid after restart"
grep -q 'currencyservice was killed by signal 9' "$tmp/up.out" || fail "crash not reported"
pids=$(awk 'NR>1 && $3 ~ /^[0-9]+$/ {print $3}' "$tmp/s2/status")
# A ready service is probed every --probe-period (1 s here), not at the
# start-up pace (every 0.25 s): the frontend logs each probe of /_healthz.
probes() { grep -c '"http.req.path":"/_healthz"' "$tmp/s2/logs/frontend.log"; }
p0=$(probes); sleep 4; p1=$(probes)
[ $((p1 - p0)) -ge 3 ] && [ $((p1 - p0)) -le 5 ] ||
  fail "the frontend was probed $((p1 - p0)) times in 4 s (every 1 s: 3 to 5)"

# 4. A second `up` on the same state directory is refused; `down` stops the
#    shop (SIGTERM to the supervisor) and the supervisor exits 0.
"$B/meshsim" up --once --state-dir "$tmp/s2" --net $NET --port $PORT 2>"$tmp/err2"; rc=$?
[ $rc = 1 ] || fail "second up on one state dir gave exit $rc"
grep -q 'already running' "$tmp/err2" || fail "second up: $(cat "$tmp/err2")"
"$B/meshsim" down --state-dir "$tmp/s2" || fail "meshsim down failed"
i=0
while kill -0 "$upid" 2>/dev/null; do
  i=$((i+1)); [ $i -le 150 ] || fail "meshsim did not exit within 15 s of SIGTERM"
  sleep 0.1
done
wait "$upid"; rc=$?; upid=
[ $rc = 0 ] || { cat "$tmp/up.out"; fail "meshsim exited $rc after down"; }
"$B/meshsim" down --state-dir "$tmp/s2" | grep -q 'no shop is running' || fail "down twice"
for p in $pids; do
  kill -0 "$p" 2>/dev/null && fail "service pid $p still running after stop"
done
echo "PASS: meshsim up"
