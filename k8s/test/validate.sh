#!/bin/sh
# Every object meshsim deploys, checked against the Kubernetes, Istio and
# prometheus-operator schemas (npm kubernetes-models and friends) and against
# each other (k8s/test/validate.mjs); each chart's values against its
# values.schema.json, as Helm checks them; and the seed's canary faults caught.
. "$(dirname "$0")/lib.sh"
build_render
npm_ci
V="node $VALIDATE"

# 1. All charts, Istio and monitoring manifests together.
for c in $(charts); do render "$c" -o json > "$tmp/chart-$c.json" || fail "$c: does not render"; done
"$RENDER" --yaml2json "$K"/istio/*.yaml "$K/eks/storageclass.yaml" > "$tmp/istio.json" || fail "k8s/istio: YAML does not parse"
"$RENDER" -n monitoring -o json "$K/monitoring/meshsim" > "$tmp/monitoring.json" || fail "monitoring chart does not render"
"$RENDER" --yaml2json "$K/monitoring/kube-prometheus-stack.yaml" > "$tmp/kps.json"
$V objects "$tmp"/chart-*.json "$tmp/istio.json" "$tmp/monitoring.json" --prometheus-values "$tmp/kps.json" ||
  fail "k8s objects do not validate"
# With every option switched on, too (persistent volumes, more replicas).
render cartservice -o json --set storage.type=persistentVolumeClaim > "$tmp/chart-cartservice.json"
render frontend -o json --set replicaCount=3 --set canary.replicaCount=2 --set autoscaling.enabled=true \
  --set strategy.rollingUpdate.maxSurge=1 > "$tmp/chart-frontend.json"
grep -q '"HorizontalPodAutoscaler"' "$tmp/chart-frontend.json" || fail "no HPA rendered with autoscaling.enabled=true"
$V objects "$tmp"/chart-*.json "$tmp/istio.json" > "$tmp/out" || { cat "$tmp/out"; fail "options do not validate"; }

# 2. Values against the schema: the defaults, overrides, and bad values.
for c in $(charts); do
  cmp -s "$K/charts/$c/values.schema.json" "$K/charts/values.schema.json" || fail "$c: schema copy out of date (k8s/charts/sync-schema)"
  render "$c" -o values > "$tmp/values-$c.json"
done
$V values "$K/charts/values.schema.json" "$tmp"/values-*.json > "$tmp/out" || { cat "$tmp/out"; fail "a values.yaml fails the schema"; }
S_=$K/charts/values.schema.json
n=0
bad() { # bad WHAT RENDER-ARGS...: values the schema must refuse
  n=$((n + 1)); what=$1; shift
  render currencyservice -o values "$@" > "$tmp/bad-$n.json"
  echo "$tmp/bad-$n.json: $what" >> "$tmp/bad"
}
bad "a string replicaCount" --set-string replicaCount=three
bad "a root container" --set securityContext.runAsNonRoot=false
bad "a writable root filesystem" --set securityContext.readOnlyRootFilesystem=false
bad "a numeric env value" --set env.USERS=10
bad "an unknown key" --set replcaCount=2
bad "autoscaling on without maxReplicas" --set autoscaling.enabled=true --set autoscaling.maxReplicas=null
bad "autoscaling.minReplicas 0" --set autoscaling.minReplicas=0
bad "an unknown autoscaling key" --set autoscaling.targetMemoryUtilizationPercentage=80
bad "a maxSurge that is no count or percentage" --set strategy.rollingUpdate.maxSurge=many
bad "maxSurge and maxUnavailable both 0" --set strategy.rollingUpdate.maxSurge=0 --set strategy.rollingUpdate.maxUnavailable=0
bad "Recreate with rollingUpdate" --set strategy.type=Recreate
bad "an unknown strategy type" --set strategy.type=BlueGreen
bad "a PVC with 2 replicas" --set storage.enabled=true --set storage.type=persistentVolumeClaim \
  --set storage.mountPath=/data --set storage.size=1Gi --set replicaCount=2
$V values "$S_" "$tmp"/bad-*.json --expect-invalid > "$tmp/out" ||
  { cat "$tmp/out" "$tmp/bad"; fail "the schema accepted bad values (see above)"; }
render currencyservice -o values --set replicaCount=3 --set image.tag=1.2.3 --set autoscaling.enabled=true \
  --set strategy.rollingUpdate.maxSurge=1 --set strategy.rollingUpdate.maxUnavailable=0 > "$tmp/good.json"
$V values "$S_" "$tmp/good.json" >/dev/null || fail "schema refused a good override"

# 3. The seed's faults are named.
"$RENDER" --yaml2json "$K/test/fixtures/seed-canary.yaml" "$K/istio/gateway.yaml" > "$tmp/seed.json"
"$RENDER" --yaml2json "$K/istio/namespaces.yaml" > "$tmp/ns.json"
if $V objects "$tmp/chart-frontend.json" "$tmp/seed.json" "$tmp/ns.json" > "$tmp/out"; then
  fail "the seed's canary passed validation"
fi
for want in "gateway my-gateway does not resolve" "not bound to mesh" \
            "host frontend-external.frontend.svc.cluster.local is no Service" "unknown field /spec/subsets/1/lables"; do
  grep -q "$want" "$tmp/out" || { cat "$tmp/out"; fail "validate.mjs did not report: $want"; }
done
echo "validate: $(tail -1 "$tmp/out" | cut -d, -f1) in the seed fixture, faults named; all manifests valid"
