#!/bin/sh
# Determinism of `meshsim run`: the same seed gives a byte-identical JSON
# report and event log (engine events, Kubernetes events, scenario actions),
# in both load models; another seed changes both. Runs the whole shop for a
# virtual minute at a modest rate, with a pod killed in the middle.
set -u
B=${MESHSIM_BUILDDIR:-.}
S=${MESHSIM_SRCDIR:-.}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

cat >"$tmp/s.yaml" <<YAML
duration: 60s
load:
  rate: 20
actions:
  - at: 20s
    kill: cartservice
YAML

run() { # name, args...
  name=$1; shift
  "$B/meshsim" run --quiet --json --event-log "$tmp/$name.log" "$@" \
    >"$tmp/$name.json" 2>"$tmp/$name.err" || fail "$name: exit $?: $(cat "$tmp/$name.err")"
  [ -s "$tmp/$name.json" ] || fail "$name: empty report"
  [ -s "$tmp/$name.log" ] || fail "$name: empty event log"
}

# Open loop, from a scenario file.
run a1 "$tmp/s.yaml" --seed 7
run a2 "$tmp/s.yaml" --seed 7
run a3 "$tmp/s.yaml" --seed 8
cmp -s "$tmp/a1.json" "$tmp/a2.json" || { diff "$tmp/a1.json" "$tmp/a2.json" | head -20; fail "same seed, different report"; }
cmp -s "$tmp/a1.log" "$tmp/a2.log" || { diff "$tmp/a1.log" "$tmp/a2.log" | head -20; fail "same seed, different event log"; }
cmp -s "$tmp/a1.json" "$tmp/a3.json" && fail "seeds 7 and 8 gave the same report"
cmp -s "$tmp/a1.log" "$tmp/a3.log" && fail "seeds 7 and 8 gave the same event log"
grep -q ' scenario kill cartservice-' "$tmp/a1.log" || fail "the kill is not in the event log"
grep -q '"seed": 7,' "$tmp/a1.json" || fail "the report does not carry seed 7"

# Closed loop (the loadgenerator chart's users), from the command line.
run b1 --duration 60s --users 20 --seed 3
run b2 --duration 60s --users 20 --seed 3
run b3 --duration 60s --users 20 --seed 4
cmp -s "$tmp/b1.json" "$tmp/b2.json" || fail "users: same seed, different report"
cmp -s "$tmp/b1.log" "$tmp/b2.log" || fail "users: same seed, different event log"
cmp -s "$tmp/b1.json" "$tmp/b3.json" && fail "users: seeds 3 and 4 gave the same report"
echo "ok: same seed, same bytes; another seed, other bytes"
