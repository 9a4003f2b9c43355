#!/bin/sh
# `meshsim run` with the data plane, end to end: the shop's own mesh
# (k8s/istio) lets every call through (no "mesh:" line, no error); the same
# manifests plus a DENY AuthorizationPolicy on currencyservice from the
# frontend make those calls fail PERMISSION_DENIED at the server's sidecar,
# counted in the report's "mesh:" line and in --json's "mesh" member, with
# Istio's metric labels for them (--metrics-out); the frontend's callers
# come from the ingress gateway, which reports them as their source; the
# report has the sidecars' own CPU (a SIDECAR table, --json's "sidecars");
# --no-mesh runs without sidecars (and outside callers are "unknown"); a bad
# --istio is a usage error.
set -u
B=${MESHSIM_BUILDDIR:-.}
S=${MESHSIM_SRCDIR:-.}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
run() { "$B/meshsim" run --charts "$S/k8s/charts" --profile "$S/data/cost-profile.json" \
  --rate 20 --duration 10s --seed 2 --quiet "$@"; }

run --istio "$S/k8s/istio" >"$tmp/ok" 2>"$tmp/err" || fail "mesh on: $(cat "$tmp/err")"
grep -q '^requests: [0-9]*, errors: 0 ' "$tmp/ok" || fail "errors with the shop's mesh: $(head -3 "$tmp/ok")"
grep -q '^mesh:' "$tmp/ok" && fail "a mesh line with nothing denied: $(grep '^mesh:' "$tmp/ok")"
# The sidecars' own CPU (not taken from the apps' cores): a table with the
# gateway and a total; in --json, the same per pod, adding up, and at least
# DP_SIDECAR_CPU_US (200 us) per request at the frontend's sidecar and the
# gateway (each entry request passes both).
grep -q '^SIDECAR  *CPU s  *vCPU$' "$tmp/ok" || fail "no SIDECAR table: $(tail -5 "$tmp/ok")"
grep -q '^istio-ingressgateway  *0\.[0-9]*[1-9][0-9]*  ' "$tmp/ok" || fail "no gateway CPU: $(grep -A20 '^SIDECAR' "$tmp/ok")"
run --istio "$S/k8s/istio" --json >"$tmp/ok.json" 2>"$tmp/err" || fail "mesh on --json: $(cat "$tmp/err")"
python3 - "$tmp/ok.json" <<'PY' || fail "bad sidecars member in --json"
import json, sys
d = json.load(open(sys.argv[1]))
sc = d["sidecars"]
pods = {p["pod"]: p["cpu_seconds"] for p in sc["pods"]}
assert abs(sum(pods.values()) - sc["cpu_seconds"]) <= 0.001 * len(pods), sc
assert sc["window_seconds"] == d["virtual_seconds"], sc
assert abs(sc["vcpu"] - sc["cpu_seconds"] / sc["window_seconds"]) < 1e-3, sc
need = d["requests"] * 200e-6
front = sum(v for k, v in pods.items() if k.startswith("frontend-"))
assert front >= need - 0.001, (front, need)
assert pods["istio-ingressgateway"] >= need - 0.001, (pods, need)
assert set(p["pod"] for p in d["pods"]) | {"istio-ingressgateway"} >= set(pods), pods
PY

mkdir "$tmp/istio"
cp "$S"/k8s/istio/*.yaml "$tmp/istio/"
cat >"$tmp/istio/zz-deny.yaml" <<'YAML'
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: no-frontend
  namespace: currencyservice
spec:
  selector:
    matchLabels:
      app: currencyservice
  action: DENY
  rules:
    - from:
        - source:
            principals: ["cluster.local/ns/frontend/sa/frontend"]
YAML
run --istio "$tmp/istio" >"$tmp/deny" 2>"$tmp/err" || fail "deny: $(cat "$tmp/err")"
grep -q '^mesh: [1-9][0-9]* denied by AuthorizationPolicy' "$tmp/deny" ||
  fail "no denial counted: $(tail -5 "$tmp/deny")"
grep -q '^requests: [0-9]*, errors: [1-9]' "$tmp/deny" || fail "denials did not fail requests: $(head -3 "$tmp/deny")"
run --istio "$tmp/istio" --json >"$tmp/deny.json" 2>"$tmp/err" || fail "deny --json: $(cat "$tmp/err")"
python3 - "$tmp/deny.json" <<'PY' || fail "bad mesh member in --json"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["mesh"]["denied"] > 0, d.get("mesh")
PY

# Istio's metrics of the denied calls (sim/metrics on the observations):
# gRPC over HTTP/2 answers 200 with grpc-status 7, no response flag (the
# RBAC filter sets none), over mutual TLS, the frontend's principal.
run --istio "$tmp/istio" --metrics-out "$tmp/metrics" >/dev/null 2>"$tmp/err" ||
  fail "deny --metrics-out: $(cat "$tmp/err")"
# (Istio's client side reports connection_security_policy "unknown".)
for reporter in source:unknown destination:mutual_tls; do
  grep '^istio_requests_total{' "$tmp/metrics" | grep "reporter=\"${reporter%%:*}\"" |
    grep 'source_principal="spiffe://cluster.local/ns/frontend/sa/frontend"' |
    grep 'destination_workload="currencyservice"' |
    grep "response_code=\"200\",grpc_response_status=\"7\",response_flags=\"-\",connection_security_policy=\"${reporter#*:}\"" |
    grep -q . || fail "no $reporter metric of a denied call: $(grep 'grpc_response_status="7"' "$tmp/metrics" | head -2)"
done

# The shop's callers come in through the ingress gateway: the frontend's
# sidecar names it as their source (Istio's gateway chart under the release
# name istio-ingressgateway, the principal the policies admit), and the
# gateway reports those calls itself as reporter="source", never as a
# destination. HTTP over the sidecars gives no istio_tcp_* series.
gwl='source_workload="istio-ingressgateway",source_workload_namespace="istio-system",source_principal="spiffe://cluster.local/ns/istio-system/sa/istio-ingressgateway",source_app="istio-ingressgateway",source_version="unknown",destination_workload="frontend"'
run --istio "$S/k8s/istio" --metrics-out "$tmp/ok.prom" >/dev/null 2>"$tmp/err" ||
  fail "mesh on --metrics-out: $(cat "$tmp/err")"
for reporter in source:unknown destination:mutual_tls; do
  grep "^istio_requests_total{reporter=\"${reporter%%:*}\",$gwl" "$tmp/ok.prom" |
    grep "response_code=\"200\"" | grep -q "connection_security_policy=\"${reporter#*:}\"" ||
    fail "no $reporter report of the gateway's calls to the frontend: $(grep 'destination_workload="frontend"' "$tmp/ok.prom" | head -1)"
done
grep -q 'destination_workload="istio-ingressgateway"' "$tmp/ok.prom" && fail "the gateway reported as a destination"
grep '^istio_requests_total{' "$tmp/ok.prom" | grep -q 'source_workload="unknown"' &&
  fail "an unknown source with the gateway: $(grep 'source_workload="unknown"' "$tmp/ok.prom" | head -1)"
grep -q '^istio_tcp_' "$tmp/ok.prom" && fail "TCP metrics for HTTP/gRPC traffic"

run --no-mesh --metrics-out "$tmp/off.prom" >"$tmp/off" 2>"$tmp/err" || fail "--no-mesh: $(cat "$tmp/err")"
grep -q '^mesh:' "$tmp/off" && fail "a mesh line without a mesh"
grep -q '^SIDECAR' "$tmp/off" && fail "a SIDECAR table without a mesh"
# Without the mesh there is no gateway: outside callers are unknown.
grep -q 'istio-ingressgateway' "$tmp/off.prom" && fail "a gateway without a mesh"
grep '^istio_requests_total{reporter="destination",source_workload="unknown"' "$tmp/off.prom" |
  grep -q 'destination_workload="frontend"' || fail "--no-mesh: the frontend's callers are not unknown"
run --istio "$tmp/nothing" >/dev/null 2>"$tmp/err"; rc=$?
[ $rc = 2 ] || fail "bad --istio: exit $rc"
echo ok
