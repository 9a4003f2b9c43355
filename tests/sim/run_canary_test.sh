#!/bin/sh
# Progressive delivery in scenarios (canary:, scenarios/README.md): the
# Jenkins gate's verdict is `meshsim run`'s exit status.
# - the gate scenarios promote their canary (exit 0): weights 10, 20, ...,
#   maxWeight, one check per interval, then promoted at 100 %, in the text,
#   the event log and --json;
# - tests/sim/canary_rollback.yaml (the canary's product catalogue calls
#   fail) rolls back after `threshold` failed checks (exit 1);
# - the same seed gives the same report and event log;
# - a bad canary: key is an input error (exit 2, FILE:LINE: FIELD).
. "${MESHSIM_SRCDIR:-.}/tests/sim/run_lib.sh"

# Promotion: start at stepWeight, +10 every 30 s up to 50, then 100.
for svc in frontend business; do
  sc=$S/scenarios/canary-$svc.yaml
  run 0 "$sc" --event-log "$tmp/log1"
  cp "$tmp/out" "$tmp/out1"
  grep -q "^canary $svc (interval 30s, stepWeight 10, maxWeight 50, threshold 5): promoted at weight 100, 0 failed checks$" "$tmp/out" ||
    fail "$sc: no promoted summary: $(sed -n '/^canary/,$p' "$tmp/out")"
  got=$(sed -n 's/^  at  *\([0-9.]*\) s: weight \([0-9]*\) -> \([0-9]*\): .*: \([a-z]*\)$/\1 \2 \3 \4/p' "$tmp/out" | tr '\n' ';')
  want="0.000 0 10 start;30.000 10 20 advance;60.000 20 30 advance;90.000 30 40 advance;120.000 40 50 advance;150.000 50 100 promote;"
  [ "$got" = "$want" ] || fail "$sc: steps: got '$got', want '$want'"
  [ "$(grep -c " canary $svc weight " "$tmp/log1")" = 6 ] ||
    fail "$sc: the event log has not 6 canary steps"
  # The same seed: the same report and event log, byte for byte.
  run 0 "$sc" --event-log "$tmp/log2"
  cmp -s "$tmp/out1" "$tmp/out" || fail "$sc: two runs, two reports"
  cmp -s "$tmp/log1" "$tmp/log2" || fail "$sc: two runs, two event logs"
  run 0 --json "$sc"
  "${PYTHON3:-python3}" - "$tmp/out" <<'PY' || fail "$sc: --json canary"
import json, sys
c = json.load(open(sys.argv[1]))["canary"]
assert c["result"] == "promoted", c["result"]
assert [s["weight"] for s in c["steps"]] == [10, 20, 30, 40, 50, 100], c["steps"]
assert [s["at_seconds"] for s in c["steps"]] == [0, 30, 60, 90, 120, 150]
assert all(s["requests"] > 0 and s["success"] >= 99 for s in c["steps"][1:])
PY
done

# Not promoted by the end (a minute: two checks): exit 1, in progress.
run 1 --duration 1m "$S/scenarios/canary-frontend.yaml" --json
"${PYTHON3:-python3}" -c 'import json,sys; c=json.load(open(sys.argv[1]))["canary"]; assert c["result"]=="in_progress" and c["weight"]==30, c' "$tmp/out" ||
  fail "a short run: $(grep -A3 '"canary"' "$tmp/out")"
grep -q "canary frontend not promoted by the end of the run" "$tmp/err" || fail "short run: stderr: $(cat "$tmp/err")"

# Rollback: a broken canary fails 3 checks (threshold 3) and goes to 0 %.
rb=$S/tests/sim/canary_rollback.yaml
run 1 "$rb" --event-log "$tmp/log1"
cp "$tmp/out" "$tmp/out1"
grep -q "^canary frontend (interval 30s, stepWeight 10, maxWeight 50, threshold 3): rolled_back at weight 0, 3 failed checks$" "$tmp/out" ||
  fail "rollback: summary: $(sed -n '/^canary/,$p' "$tmp/out")"
got=$(sed -n 's/^  at  *\([0-9.]*\) s: weight \([0-9]*\) -> \([0-9]*\): .*: \([a-z]*\)\( ([0-9] of 3)\)*$/\1 \2 \3 \4/p' "$tmp/out" | tr '\n' ';')
want="0.000 0 10 start;30.000 10 10 failed;60.000 10 10 failed;90.000 10 0 rollback;"
[ "$got" = "$want" ] || fail "rollback: steps: got '$got', want '$want'"
grep -q "canary frontend rolled back (weight 0, 3 of 3 failed checks)" "$tmp/err" || fail "rollback: stderr: $(cat "$tmp/err")"
run 1 "$rb" --event-log "$tmp/log2"
cmp -s "$tmp/out1" "$tmp/out" || fail "rollback: two runs, two reports"
cmp -s "$tmp/log1" "$tmp/log2" || fail "rollback: two runs, two event logs"
run 1 --json "$rb"
"${PYTHON3:-python3}" -c '
import json, sys
c = json.load(open(sys.argv[1]))["canary"]
assert c["result"] == "rolled_back" and c["failed_checks"] == 3, c
assert [s["verdict"] for s in c["steps"]] == ["start", "failed", "failed", "rollback"]
assert all(s["success"] < 99 for s in c["steps"][1:])' "$tmp/out" || fail "rollback: --json"

# Bad canary keys: exit 2, the file, the line and the field.
bad() {
  printf "$1" > "$tmp/bad.yaml"
  run 2 "$tmp/bad.yaml"
  grep -qF "$2" "$tmp/err" || fail "bad canary ($2): $(cat "$tmp/err")"
}
bad 'duration: 10s\ncanary:\n  service: frontend\n  stepWeight: 0\n' "bad.yaml:4: canary.stepWeight: must be within 1..100"
bad 'duration: 10s\ncanary:\n  service: frontend\n  stepWeight: 20\n  maxWeight: 10\n' "bad.yaml:5: canary.maxWeight: 10 is less than stepWeight 20"
bad 'duration: 10s\ncanary:\n  service: frontend\n  interval: soon\n' "bad.yaml:4: canary.interval: \"soon\" is not a duration"
bad 'duration: 10s\ncanary:\n  service: frontend\n  metrics: {success: 99}\n' "bad.yaml:4: canary.metrics.success:"
bad 'duration: 10s\ncanary:\n  service: frontend\n  steps: 3\n' "bad.yaml:4: canary: unknown key \"steps\""
bad 'duration: 10s\ncanary:\n  interval: 30s\n' "bad.yaml:3: canary.service: needs the canaried service"
bad 'duration: 10s\ncanary:\n  service: frontnd\n' "bad.yaml:3: canary.service: no service \"frontnd\""
bad 'duration: 10s\ncanary:\n  service: cartservice\n' "bad.yaml:3: canary.service: no Deployment \"cartservice-canary\""
bad 'duration: 10s\nmesh: off\nset: [frontend.canary.enabled=true]\ncanary:\n  service: frontend\n' "bad.yaml:4: canary: needs the mesh"
echo "ok: gates promote (10..50, then 100), a broken canary rolls back after its threshold, runs replay, bad canary: keys exit 2"
