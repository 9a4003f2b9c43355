#!/bin/sh
# `meshsim run` end to end: the default shop for 30 virtual seconds with
# --json exits 0; the JSON report has the required top-level keys; stderr
# has the progress line; stdout has no wall-clock figure (speed-up, elapsed
# time); bad usage and bad scenarios are exit 2 with the place named.
set -u
B=${MESHSIM_BUILDDIR:-.}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

"$B/meshsim" run --duration 30s --json --seed 1 >"$tmp/out" 2>"$tmp/err"; rc=$?
[ $rc = 0 ] || fail "exit $rc: $(cat "$tmp/err")"
python3 - "$tmp/out" <<'PY' || fail "bad JSON report"
import json, sys
d = json.load(open(sys.argv[1]))
for k in ("seed", "virtual_seconds", "requests", "errors", "routes",
          "services", "pods", "bottleneck"):
    assert k in d, "missing " + k
assert d["seed"] == 1, d["seed"]
assert abs(d["virtual_seconds"] - 30) < 1e-9, d["virtual_seconds"]
assert d["requests"] > 0, "no request"
assert any(r["route"] == "GET /product/[id]" for r in d["routes"])
assert any(s["service"] == "cartservice" for s in d["services"])
assert len(d["pods"]) >= 12, len(d["pods"])
for k in ("speed", "wall", "elapsed", "real_time"):
    assert k not in json.dumps(d), "wall-clock key " + k
PY
grep -q 'meshsim run: done: 00:00:30 / 00:00:30 virtual, .*x real time, .* events/s, [0-9]* requests' "$tmp/err" ||
  fail "no progress line on stderr: $(cat "$tmp/err")"
grep -Eq 'real time|wall|x real' "$tmp/out" && fail "wall-clock figures on stdout"

# The readable table: routes, services, pods, the bottleneck.
"$B/meshsim" run --duration 10s --quiet >"$tmp/table" 2>"$tmp/err" || fail "table: $(cat "$tmp/err")"
for w in 'ROUTE' 'SERVICE / METHOD' 'POD' 'bottleneck:' 'GET /product/\[id\]'; do
  grep -q "$w" "$tmp/table" || fail "table lacks $w"
done
[ -s "$tmp/err" ] && fail "--quiet still wrote: $(cat "$tmp/err")"

# The README's main job exactly: no argument, from another directory (the
# charts and the cost profile are found next to the binary or in its
# source tree): a virtual hour of the default scenario.
B_ABS=$(cd "$B" && pwd)
(cd "$tmp" && "$B_ABS/meshsim" run >"$tmp/main.out" 2>"$tmp/main.err") ||
  fail "meshsim run (the main job): $(cat "$tmp/main.err")"
grep -q '^meshsim run: done: 01:00:00 / 01:00:00 virtual' "$tmp/main.err" ||
  fail "main job: no final progress line: $(tail -3 "$tmp/main.err")"
grep -q '^meshsim run: default, seed 1: 3600 virtual seconds' "$tmp/main.out" ||
  fail "main job: not the default scenario: $(head -3 "$tmp/main.out")"
grep -q '^bottleneck: ' "$tmp/main.out" || fail "main job: no bottleneck line"

# Usage errors: exit 2, the culprit named.
"$B/meshsim" run --bogus 2>"$tmp/err"; [ $? = 2 ] || fail "--bogus not exit 2"
grep -q -- '--bogus' "$tmp/err" || fail "--bogus not named"
"$B/meshsim" run --users 5 --rate 5 2>"$tmp/err"; [ $? = 2 ] || fail "--users with --rate not exit 2"
"$B/meshsim" run --set nosuchchart.replicaCount=2 --duration 1s 2>"$tmp/err"; [ $? = 2 ] || fail "unknown chart not exit 2"
printf 'duration: 10s\nload:\n  rate: fast\n' >"$tmp/bad.yaml"
"$B/meshsim" run "$tmp/bad.yaml" 2>"$tmp/err"; [ $? = 2 ] || fail "bad scenario not exit 2"
grep -q "bad.yaml:3: load.rate: \"fast\" is not a number" "$tmp/err" || fail "scenario error: $(cat "$tmp/err")"
"$B/meshsim" run --help | grep -q 'k8s/charts' || fail "--help does not say where the charts are"
echo ok
