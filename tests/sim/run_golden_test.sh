#!/bin/sh
# Golden output of `meshsim run`: a tiny scenario (tests/sim/golden/
# run_tiny.yaml: the whole shop, a request every half second, the cart pod
# killed at 4 s) gives exactly the committed report and event log (with
# virtual timestamps) in tests/sim/golden/run_tiny.txt. After an intended
# change (to the services, the charts, the runtime, the cluster model),
# rewrite it with RUN_GOLDEN_UPDATE=1 and read the diff. The cost profile is
# a frozen copy (golden/run_tiny_profile.json, the provisional one of
# 2026-11-25), so that `meshsim calibrate` rewriting data/cost-profile.json
# on another machine does not change the golden output.
set -u
B=${MESHSIM_BUILDDIR:-.}
S=${MESHSIM_SRCDIR:-.}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
golden="$S/tests/sim/golden/run_tiny.txt"

"$B/meshsim" run "$S/tests/sim/golden/run_tiny.yaml" --json --quiet \
  --charts "$S/k8s/charts" --profile "$S/tests/sim/golden/run_tiny_profile.json" \
  --event-log "$tmp/log" >"$tmp/json" 2>"$tmp/err" ||
  { echo "FAIL: exit $?: $(cat "$tmp/err")"; exit 1; }
{
  echo "== meshsim run tests/sim/golden/run_tiny.yaml --json: stdout"
  cat "$tmp/json"
  echo "== --event-log"
  cat "$tmp/log"
} >"$tmp/out"
if [ "${RUN_GOLDEN_UPDATE:-0}" = 1 ]; then
  cp "$tmp/out" "$golden"
  echo "rewrote $golden"
  exit 0
fi
if ! cmp -s "$tmp/out" "$golden"; then
  diff -u "$golden" "$tmp/out" | head -60
  echo "FAIL: the output differs from $golden (RUN_GOLDEN_UPDATE=1 rewrites it)"
  exit 1
fi
echo ok
