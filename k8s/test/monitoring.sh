#!/bin/sh
# Alert rules pass `promtool check rules` and their unit tests; dashboards are
# valid JSON, one per service plus nodes, cluster and mesh, and are exactly
# what k8s/monitoring/generate-dashboards writes.
. "$(dirname "$0")/lib.sh"
need promtool prometheus
R=$K/monitoring/meshsim/rules
promtool check rules "$R/meshsim.rules.yaml" || fail "promtool check rules"
(cd "$R" && promtool test rules meshsim.rules.test.yaml) || fail "promtool test rules"

D=$K/monitoring/meshsim/dashboards
PY=${PYTHON3:-python3}
"$PY" -c '
import json, sys
for f in sys.argv[1:]:
    d = json.load(open(f))
    assert d.get("uid") and d.get("panels"), f + ": no uid or panels"
' "$D"/*.json || fail "dashboards are not valid dashboard JSON"
for b in nodes cluster mesh $(charts | sed 's/^/service-/'); do
  [ -f "$D/$b.json" ] || fail "no dashboard $b.json"
done
"$PY" "$K/monitoring/generate-dashboards" "$tmp/dash"
diff -r "$D" "$tmp/dash" > "$tmp/diff" || { head -40 "$tmp/diff"; fail "dashboards differ from generate-dashboards' output: run k8s/monitoring/generate-dashboards"; }
# Every dashboard's queries name only metrics that exist: Istio's standard
# ones, our recording rules, and those of kube-prometheus-stack's exporters.
grep -ho '"expr": "[^"]*' "$D"/*.json | grep -o 'meshsim:[a-z0-9_:]*' | sort -u > "$tmp/used"
grep -o 'record: meshsim:[a-z0-9_:]*' "$R/meshsim.rules.yaml" | sed 's/record: //' | sort -u > "$tmp/recorded"
missing=$(comm -23 "$tmp/used" "$tmp/recorded")
[ -z "$missing" ] || fail "dashboards use unrecorded series: $missing"
echo "monitoring: rules checked and unit-tested; $(ls "$D" | wc -l) dashboards"
