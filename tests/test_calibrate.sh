#!/bin/sh
# `meshsim calibrate` end to end, on two leaf services (about 10 s):
# the profile it writes loads in `meshsim run` (with its link; --link's
# errors), has every
# method of the measured services with a positive mean, and says how it was
# made; bad usage is exit 2; a missing program and a taken port are exit 1
# with the culprit named; SIGINT stops it with nothing left running.
set -u
B=${MESHSIM_BUILDDIR:-.}
B=$(cd "$B" && pwd)
NET=127.0.11
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; [ -n "${lpid:-}" ] && kill "$lpid" 2>/dev/null' EXIT
fail() { echo "FAIL: $*"; exit 1; }
# Service processes this test's calibrations started, still alive: run from
# this build directory (the supervisor gives the full path) and bound to
# this test's loopback net. Other tests of a parallel `make check` run the
# same programs on their own nets.
leftovers() {
  for p in $(pgrep -f "^$B/(currencyservice|shippingservice)"); do
    tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | grep -q "^BIND_ADDR=$NET\." && echo "$p"
  done | grep .
}

leftovers >/dev/null && fail "service processes on $NET already running: $(leftovers)"

"$B/meshsim" calibrate --services currencyservice,shippingservice --calls 30 --rounds 2 \
  --warmup 5 --net $NET --out "$tmp/p.json" >"$tmp/out" 2>"$tmp/err"; rc=$?
[ $rc = 0 ] || fail "exit $rc: $(cat "$tmp/err")"
[ -s "$tmp/out" ] && fail "wrote to stdout: $(cat "$tmp/out")"
grep -q 'measuring currencyservice' "$tmp/err" || fail "no progress: $(cat "$tmp/err")"
python3 - "$tmp/p.json" <<'PY' || fail "bad profile: $(cat "$tmp/p.json")"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["version"] == 1
assert "meshsim calibrate --services" in d["comment"], "comment lacks the command"
assert "load average" in d["comment"], "comment lacks the machine's load"
m = d["methods"]
want = ["grpc.health.v1.Health/Check",
        "hipstershop.CurrencyService/Convert",
        "hipstershop.CurrencyService/GetSupportedCurrencies",
        "hipstershop.ShippingService/GetQuote",
        "hipstershop.ShippingService/ShipOrder"]
assert sorted(m) == sorted(want), sorted(m)
for k in want:
    assert m[k]["mean_us"] > 0 and m[k]["sd_us"] >= 0, (k, m[k])
    assert m[k]["mean_us"] < 100000, (k, m[k])  # 0.1 s per call: not a measurement
assert d["link"]["latency_us"] >= 0, d["link"]
assert d["default"]["mean_us"] > 0
assert "clients" not in d, "a client cost without the frontend measured"
PY
leftovers >/dev/null && fail "left running: $(leftovers)"
"$B/meshsim" run --profile "$tmp/p.json" --link profile --duration 10s --rate 5 \
  --quiet >"$tmp/run" 2>"$tmp/err" || fail "meshsim run with the profile: $(cat "$tmp/err")"
grep -q 'GET /' "$tmp/run" || fail "no report: $(cat "$tmp/run")"
# --link: the profile's must exist; a latency must be a duration.
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); del d["link"]; json.dump(d, open(sys.argv[2], "w"))' \
  "$tmp/p.json" "$tmp/nolink.json"
"$B/meshsim" run --profile "$tmp/nolink.json" --link profile --duration 1s --quiet \
  >/dev/null 2>"$tmp/err"; rc=$?
[ $rc = 1 ] && grep -q 'nolink.json has no "link"' "$tmp/err" || fail "--link profile without one: exit $rc: $(cat "$tmp/err")"
"$B/meshsim" run --link fast --duration 1s --quiet >/dev/null 2>"$tmp/err"; rc=$?
[ $rc = 2 ] && grep -q "\-\-link: 'fast'" "$tmp/err" || fail "--link fast: exit $rc: $(cat "$tmp/err")"

# The load generator's client cost: with the frontend measured, the
# loadgenerator program runs against the shop and its CPU per request is
# the profile's "clients".loadgenerator.
"$B/meshsim" calibrate --services frontend --calls 4 --rounds 1 --warmup 1 --net $NET \
  --loadgen-users 10 --loadgen-rate 10 --loadgen-seconds 3 --out "$tmp/lg.json" \
  >/dev/null 2>"$tmp/err"; rc=$?
[ $rc = 0 ] || fail "with the load generator: exit $rc: $(cat "$tmp/err")"
grep -q 'loadgenerator (client) .* us per request' "$tmp/err" || fail "no client figure: $(cat "$tmp/err")"
python3 - "$tmp/lg.json" <<'PY' || fail "bad client cost: $(cat "$tmp/lg.json")"
import json, sys
d = json.load(open(sys.argv[1]))
c = d["clients"]["loadgenerator"]
assert 5 <= c["mean_us"] < 100000 and c["sd_us"] == 0, c
assert "its process CPU" in d["comment"], "comment lacks how the client cost was made"
# The link probe ran beside the load generator: its jitter's quantiles,
# in bands of the receiver's sleep (the last unbounded).
bands = d["link"]["jitter"]
assert bands and "slept_below_us" not in bands[-1], bands
for b in bands:
    j = b["quantiles_us"]
    assert j[-1][0] == 1 and all(x[0] < y[0] and x[1] <= y[1] for x, y in zip(j, j[1:])), j
    assert j[0][1] >= 0, j
assert "a sleeping process" in d["comment"]
PY
pgrep -f "^$B/(frontend|checkoutservice|loadgenerator)( |$)" >/dev/null && fail "left running after the load generator's measurement"
"$B/meshsim" run --profile "$tmp/lg.json" --duration 5s --users 5 --quiet >"$tmp/run" 2>"$tmp/err" ||
  fail "meshsim run with a client cost: $(cat "$tmp/err")"

# --link-only: the jitter alone, into a copy of a profile; the simulator
# takes it (`--link profile`), and runs replay it exactly.
"$B/meshsim" calibrate --link-only --link-seconds 1 --link-rate 300 --base "$tmp/lg.json" \
  --out "$tmp/link.json" >/dev/null 2>"$tmp/err"; rc=$?
[ $rc = 0 ] || fail "--link-only: exit $rc: $(cat "$tmp/err")"
grep -q 'link (loopback TCP, a sleeping receiver) .*one way: floor' "$tmp/err" || fail "--link-only: no figures: $(cat "$tmp/err")"
python3 - "$tmp/lg.json" "$tmp/link.json" <<'PY' || fail "--link-only: bad profile: $(cat "$tmp/link.json")"
import json, sys
a, b = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
assert a["methods"] == b["methods"] and a["clients"] == b["clients"], "the base's figures changed"
assert b["link"]["latency_us"] == a["link"]["latency_us"], b["link"]
bands = b["link"]["jitter"]
assert bands and all(x["quantiles_us"][-1][0] == 1 for x in bands), bands
assert b["comment"].startswith(a["comment"]) and "re-measured by" in b["comment"]
PY
for i in 1 2; do
  "$B/meshsim" run --profile "$tmp/link.json" --link profile --duration 5s --users 20 --json \
    --quiet --no-mesh >"$tmp/jit$i.json" 2>"$tmp/err" || fail "run with the jitter: $(cat "$tmp/err")"
done
cmp -s "$tmp/jit1.json" "$tmp/jit2.json" || fail "runs with a jittered link differ"
"$B/meshsim" calibrate --link-only --link-seconds 1 --out - 2>/dev/null | python3 -c '
import json, sys; d = json.load(sys.stdin); assert set(d) == {"version", "comment", "link"}, d' ||
  fail "--link-only without --base"
"$B/meshsim" calibrate --link-only --base "$tmp/nonesuch.json" >/dev/null 2>"$tmp/err"; rc=$?
[ $rc = 1 ] && grep -q -- "--base $tmp/nonesuch.json" "$tmp/err" || fail "--base missing: exit $rc: $(cat "$tmp/err")"
"$B/meshsim" calibrate --base "$tmp/lg.json" >/dev/null 2>"$tmp/err"; rc=$?
[ $rc = 2 ] && grep -q -- "--base is for --link-only" "$tmp/err" || fail "--base alone: exit $rc"
"$B/meshsim" calibrate --link-only --link-seconds 0.01 >/dev/null 2>"$tmp/err"; rc=$?
[ $rc = 2 ] && grep -q -- "--link-seconds: '0.01'" "$tmp/err" || fail "--link-seconds 0.01: exit $rc"

# Usage: exit 2, the culprit named.
"$B/meshsim" calibrate --loadgen-seconds -1 >/dev/null 2>"$tmp/err"; rc=$?
[ $rc = 2 ] && grep -q -- "--loadgen-seconds: '-1'" "$tmp/err" || fail "--loadgen-seconds -1: exit $rc: $(cat "$tmp/err")"
"$B/meshsim" calibrate --calls 0 >/dev/null 2>"$tmp/err"; rc=$?
[ $rc = 2 ] && grep -q -- "--calls: '0'" "$tmp/err" || fail "--calls 0: exit $rc: $(cat "$tmp/err")"
"$B/meshsim" calibrate --services nosuchservice >/dev/null 2>"$tmp/err"; rc=$?
[ $rc = 2 ] && grep -q "no service 'nosuchservice'" "$tmp/err" || fail "--services: exit $rc: $(cat "$tmp/err")"
"$B/meshsim" calibrate --net 10.0.0 >/dev/null 2>"$tmp/err"; rc=$?
[ $rc = 2 ] || fail "--net 10.0.0: exit $rc"

# A missing program: exit 1, its path named, nothing started.
"$B/meshsim" calibrate --services currencyservice --bin-dir "$tmp" --out "$tmp/x.json" \
  >/dev/null 2>"$tmp/err"; rc=$?
[ $rc = 1 ] && grep -q "$tmp/currencyservice" "$tmp/err" || fail "missing binary: exit $rc: $(cat "$tmp/err")"
[ -e "$tmp/x.json" ] && [ -s "$tmp/x.json" ] && fail "wrote a profile after failing"

# A taken port: currencyservice gets $NET.11:7000; hold it first.
python3 -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 7000)); s.listen(1); print("ok", flush=True); time.sleep(60)
' "$NET.11" >"$tmp/hold" 2>&1 &
lpid=$!
for _ in $(seq 1 100); do grep -q ok "$tmp/hold" && break; sleep 0.1; done
grep -q ok "$tmp/hold" || fail "cannot hold $NET.11:7000: $(cat "$tmp/hold")"
"$B/meshsim" calibrate --services currencyservice --calls 10 --net $NET --out "$tmp/y.json" \
  >/dev/null 2>"$tmp/err"; rc=$?
kill "$lpid"; lpid=
[ $rc = 1 ] && grep -q "currencyservice stopped" "$tmp/err" ||
  fail "port taken: exit $rc: $(cat "$tmp/err")"
grep -qi "address already in use\|bind" "$tmp/err" || fail "port taken: no reason shown: $(cat "$tmp/err")"
leftovers >/dev/null && fail "left running after a failure: $(leftovers)"

# SIGINT while measuring: exit 1, every service stopped, no profile.
"$B/meshsim" calibrate --services currencyservice --calls 1000000 --net $NET \
  --out "$tmp/z.json" >/dev/null 2>"$tmp/err" &
cpid=$!
for _ in $(seq 1 100); do grep -q 'measuring currencyservice' "$tmp/err" && break; sleep 0.1; done
grep -q 'measuring currencyservice' "$tmp/err" || { kill "$cpid"; fail "never measured: $(cat "$tmp/err")"; }
kill -INT "$cpid"
wait "$cpid"; rc=$?
[ $rc = 1 ] && grep -q interrupted "$tmp/err" || fail "SIGINT: exit $rc: $(cat "$tmp/err")"
[ -s "$tmp/z.json" ] && fail "wrote a profile after SIGINT"
leftovers >/dev/null && fail "left running after SIGINT: $(leftovers)"
echo "ok"
