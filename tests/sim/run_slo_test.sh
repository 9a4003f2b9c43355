#!/bin/sh
# Service-level objectives decide `meshsim run`'s exit status, as the
# Jenkins canary gate (k8s/jenkins/vars/meshsimCanary.groovy) needs:
# - the gate scenarios scenarios/canary-{frontend,business}.yaml pass on
#   this tree (exit 0, every objective PASS, in the table and the JSON);
# - tests/sim/canary_gate_fail.yaml (the frontend starved of CPU) and a
#   canary with no pods (nothing measured) fail (exit 1, FAIL rows);
# - --slo adds objectives over every route, and a bound too tight fails;
# - bad objectives are usage or input errors (exit 2, FILE:LINE: FIELD).
. "${MESHSIM_SRCDIR:-.}/tests/sim/run_lib.sh"

for svc in frontend business; do
  sc=$S/scenarios/canary-$svc.yaml
  run 0 --seed 1 "$sc"
  grep -q "^workload $svc-canary  *success >= 99%  *100.00 %  *[1-9][0-9]*  PASS$" "$tmp/out" ||
    fail "$sc: no passing success-rate row for $svc-canary: $(cat "$tmp/out")"
  grep -q "^workload $svc-canary  *p99 <= 500ms .*PASS$" "$tmp/out" ||
    fail "$sc: no passing p99 row for $svc-canary"
  grep -q "^slo: 4 of 4 passed: PASS$" "$tmp/out" || fail "$sc: summary line"
  run 0 --seed 1 --json "$sc"
  [ "$(grep -c '"pass": true}' "$tmp/out")" = 4 ] || fail "$sc: --json has not 4 passing objectives"
  grep -q "\"scope\": \"workload\", \"name\": \"$svc-canary\", \"metric\": \"success\", \"op\": \">=\", \"limit\": 99, \"unit\": \"%\", \"measured\": 100.000" "$tmp/out" ||
    fail "$sc: --json slo entry: $(grep -A6 '"slo"' "$tmp/out")"
  "${PYTHON3:-python3}" -c 'import json,sys; d=json.load(open(sys.argv[1])); assert [s["pass"] for s in d["slo"]] == [True]*4' "$tmp/out" ||
    fail "$sc: --json is not JSON with four passing slo entries"
done

# A starved frontend: the canary's objectives fail, the run exits 1.
run 1 "$S/tests/sim/canary_gate_fail.yaml"
grep -q "^workload frontend-canary  *success >= 99% .*FAIL$" "$tmp/out" || fail "starved canary: success row not FAIL: $(cat "$tmp/out")"
grep -q "^workload frontend-canary  *p99 <= 500ms .*FAIL$" "$tmp/out" || fail "starved canary: p99 row not FAIL"
grep -q "^slo: 0 of 4 passed: FAIL$" "$tmp/out" || fail "starved canary: summary line"
grep -q "service-level objectives failed" "$tmp/err" || fail "starved canary: nothing on stderr"
run 1 --json "$S/tests/sim/canary_gate_fail.yaml"
[ "$(grep -c '"pass": false}' "$tmp/out")" = 4 ] || fail "starved canary: --json has not 4 failing objectives"

# A canary without pods shows nothing: its objectives fail.
run 1 --seed 1 --duration 30s "$S/scenarios/canary-frontend.yaml" --set frontend.canary.replicaCount=0
grep -q "^workload frontend-canary  *success >= 99%  *no requests  *0  FAIL$" "$tmp/out" ||
  fail "canary without pods: $(cat "$tmp/out")"

# --slo: over every route, added to the scenario's; too tight fails.
run 0 --seed 1 --duration 30s --rate 20 --slo 'p99<2s,errors<=1%' --slo 'success>=99%'
[ "$(grep -c '^all routes .*PASS$' "$tmp/out")" = 3 ] || fail "--slo: $(cat "$tmp/out")"
run 1 --seed 1 --duration 30s --rate 20 --slo 'p50<1us'
grep -q "^all routes  *p50 < 0.001ms .*FAIL$" "$tmp/out" || fail "--slo p50<1us did not fail: $(cat "$tmp/out")"
run 1 --seed 1 --duration 30s "$S/scenarios/canary-business.yaml" --slo 'max<1us'
grep -q "^slo: 4 of 5 passed: FAIL$" "$tmp/out" || fail "--slo is not added to the scenario's: $(cat "$tmp/out")"

# Without objectives, no slo section (the golden test checks the bytes).
run 0 --seed 1 --duration 10s --rate 5
grep -q "^slo:" "$tmp/out" && fail "an slo section without objectives"

# Bad objectives: exit 2, the place named.
run 2 --duration 10s --rate 5 --slo 'p99>1s'
grep -q "meshsim run: --slo: \"p99>1s\": p99 is an upper bound: use < or <=" "$tmp/err" || fail "--slo p99>1s: $(cat "$tmp/err")"
printf 'duration: 10s\nslo:\n  - service: cartservice\n    p99: 300\n' > "$tmp/bad.yaml"
run 2 "$tmp/bad.yaml"
grep -q "bad.yaml:4: slo\[0\].p99: \"300\" needs a unit: us, ms or s" "$tmp/err" || fail "bad unit: $(cat "$tmp/err")"
printf 'duration: 10s\nslo:\n  - service: cartservice\n    p99: 300ms\n    latency: 1s\n' > "$tmp/bad.yaml"
run 2 "$tmp/bad.yaml"
grep -q "bad.yaml:5: slo\[0\]: unknown key \"latency\"" "$tmp/err" || fail "unknown key: $(cat "$tmp/err")"
printf 'duration: 10s\nslo:\n  - workload: frontend-canry\n    p99: 300ms\n' > "$tmp/bad.yaml"
run 2 "$tmp/bad.yaml"
grep -q "bad.yaml:4: slo.workload: no Deployment \"frontend-canry\"" "$tmp/err" || fail "unknown workload: $(cat "$tmp/err")"
echo "ok: gate scenarios pass, a starved or absent canary fails (exit 1), bad objectives exit 2"
