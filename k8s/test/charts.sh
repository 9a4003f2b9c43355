#!/bin/sh
# Every chart renders with its own values and follows overrides, as
# `helm template` would (k8s/test/render); the schema copies are in sync;
# yamllint passes on the rendered output and on every YAML source.
. "$(dirname "$0")/lib.sh"
build_render
need yamllint yamllint

n=0
for c in $(charts); do
  ns=$(value "$c" namespace)
  [ "$(value "$c" name)" = "$c" ] || fail "$c: values.yaml name is not $c"
  cmp -s "$K/charts/values.schema.json" "$K/charts/$c/values.schema.json" ||
    fail "$c/values.schema.json differs from k8s/charts/values.schema.json: run k8s/charts/sync-schema"

  # Defaults: one stable Deployment with the values' replicas and image.
  render "$c" > "$tmp/$c.yaml" || fail "$c: does not render"
  render "$c" -o json > "$tmp/$c.json"
  grep -q "^kind: Deployment" "$tmp/$c.yaml" || fail "$c: no Deployment"
  grep -q "^  replicas: 1$" "$tmp/$c.yaml" || fail "$c: default replicas not 1"
  grep -q "image: meshsim/$c:0.1.0$" "$tmp/$c.yaml" || fail "$c: default image not meshsim/$c:0.1.0"

  # Overrides: --set and a values file, later ones winning, as with helm.
  cat > "$tmp/override.yaml" <<EOV
replicaCount: 2
image:
  registry: 123456789012.dkr.ecr.eu-west-1.amazonaws.com
  tag: "from-file"
env:
  LOG_LEVEL: debug
EOV
  render "$c" -f "$tmp/override.yaml" --set replicaCount=3 --set image.tag=1.2.3 > "$tmp/$c.over.yaml" ||
    fail "$c: does not render with overrides"
  sed -n '/^kind: Deployment/,/^---/p' "$tmp/$c.over.yaml" | sed -n '/^  name: '"$c"'$/,/^---/p' > "$tmp/dep"
  grep -q "^  replicas: 3$" "$tmp/dep" || fail "$c: --set replicaCount=3 not followed"
  grep -q "image: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/meshsim/$c:1.2.3$" "$tmp/dep" ||
    fail "$c: registry from -f and tag from --set not followed: $(grep image: "$tmp/dep")"
  grep -A1 'name: LOG_LEVEL$' "$tmp/dep" | grep -q 'value: "debug"' || fail "$c: env override not followed"

  # Installing into another namespace is refused.
  if render "$c" -n default -n wrong-namespace >/dev/null 2>"$tmp/err" ||
     ! grep -q "belongs in namespace \"$ns\"" "$tmp/err"; then
    fail "$c: rendering into the wrong namespace was not refused: $(cat "$tmp/err")"
  fi
  n=$((n + 1))
done
[ "$n" = 12 ] || fail "expected 12 service charts, found $n"

# The canaried services: two Deployments, versions stable and canary, the
# canary on its own tag; the others have one.
for c in frontend business; do
  render "$c" --set canary.image.tag=2.0.0-rc1 > "$tmp/canary.yaml"
  grep -q "^  name: $c-canary$" "$tmp/canary.yaml" || fail "$c: no canary Deployment"
  grep -q "image: meshsim/$c:2.0.0-rc1$" "$tmp/canary.yaml" || fail "$c: canary tag not used"
  grep -q "image: meshsim/$c:0.1.0$" "$tmp/canary.yaml" || fail "$c: stable tag lost"
  [ "$(grep -c '^        version: \(stable\|canary\)$' "$tmp/canary.yaml")" = 2 ] || fail "$c: version labels"
  render "$c" --set canary.enabled=false | grep -q "$c-canary" && fail "$c: canary.enabled=false still renders a canary"
done
for c in $(charts); do
  case $c in frontend|business) continue ;; esac
  grep -q -- "-canary$" "$tmp/$c.yaml" && fail "$c: renders a canary"
done

# Persistent storage: a claim, the Recreate strategy, one volume per pod.
render cartservice --set storage.type=persistentVolumeClaim > "$tmp/pvc.yaml"
grep -q "^kind: PersistentVolumeClaim" "$tmp/pvc.yaml" || fail "cartservice: no PVC with storage.type=persistentVolumeClaim"
grep -q "type: Recreate" "$tmp/pvc.yaml" || fail "cartservice: PVC without the Recreate strategy"
grep -q "claimName: cartservice-data" "$tmp/pvc.yaml" || fail "cartservice: PVC not mounted"
"$RENDER" -n default "$K/charts/common" >/dev/null 2>&1 && fail "the library chart rendered on its own"

# Autoscaling: off by default (no HPA; the Deployment keeps replicaCount);
# on, an autoscaling/v2 HPA on the stable Deployment with the values' bounds,
# target and scale-down window, and the Deployment leaves replicas to it.
for c in $(charts); do
  grep -q "^kind: HorizontalPodAutoscaler" "$tmp/$c.yaml" && fail "$c: an HPA with autoscaling.enabled=false"
done
render frontend --set autoscaling.enabled=true --set autoscaling.maxReplicas=7 \
  --set autoscaling.targetCPUUtilizationPercentage=55 > "$tmp/hpa.yaml" || fail "frontend: does not render with autoscaling"
sed -n '/^kind: HorizontalPodAutoscaler/,/^---/p' "$tmp/hpa.yaml" > "$tmp/hpa"
grep -q "^apiVersion: autoscaling/v2$" "$tmp/hpa.yaml" || fail "HPA: not autoscaling/v2"
for want in "^    name: frontend$" "^  minReplicas: 1$" "^  maxReplicas: 7$" "^          averageUtilization: 55$" \
            "^      stabilizationWindowSeconds: 300$"; do
  grep -q "$want" "$tmp/hpa" || fail "HPA: no line $want: $(cat "$tmp/hpa")"
done
sed -n '/^kind: Deployment/,/^---/p' "$tmp/hpa.yaml" | sed -n '/^  name: frontend$/,/^---/p' | grep -q "^  replicas:" &&
  fail "HPA: the stable Deployment still sets replicas"
grep -q "^  replicas: 1$" "$tmp/hpa.yaml" || fail "HPA: the canary lost its replicas"
render cartservice --set autoscaling.enabled=true --set autoscaling.scaleDownStabilizationWindowSeconds=null |
  grep -q "stabilizationWindowSeconds" && fail "HPA: a window without the key"

# Strategy: the values' rolling-update bounds, Recreate when asked, and
# Recreate whatever they say with a persistentVolumeClaim.
grep -q "^      maxSurge: 25%$" "$tmp/cartservice.yaml" || fail "cartservice: default maxSurge not rendered"
render frontend --set strategy.rollingUpdate.maxSurge=2 --set strategy.rollingUpdate.maxUnavailable=0 > "$tmp/st.yaml"
grep -q "^      maxSurge: 2$" "$tmp/st.yaml" && grep -q "^      maxUnavailable: 0$" "$tmp/st.yaml" ||
  fail "strategy.rollingUpdate not followed: $(grep -A4 'strategy:' "$tmp/st.yaml")"
render frontend --set strategy.type=Recreate --set strategy.rollingUpdate=null > "$tmp/st.yaml"
[ "$(grep -c '^    type: Recreate$' "$tmp/st.yaml")" = 2 ] && ! grep -q "rollingUpdate" "$tmp/st.yaml" ||
  fail "strategy.type=Recreate not followed"
grep -q "rollingUpdate" "$tmp/pvc.yaml" && fail "cartservice: rollingUpdate beside a PVC's Recreate"

# yamllint: rendered output (templates themselves are not YAML), and every
# YAML source that is.
cat "$tmp"/*.yaml > /dev/null
"$RENDER" -n monitoring "$K/monitoring/meshsim" > "$tmp/monitoring.yaml" || fail "monitoring chart does not render"
yamllint -s -c "$K/test/yamllint.yaml" "$tmp"/*.yaml || fail "yamllint: rendered charts"
# (the test cache holds npm's packages: under k8s/ in an in-place build)
find "$K" -path "$K/test/node_modules" -prune -o -path "$K/.test-cache" -prune -o \
  -path '*/templates' -prune -o \
  \( -name '*.yaml' -o -name '*.yml' \) -print | sort > "$tmp/sources"
# shellcheck disable=SC2046
yamllint -s -c "$K/test/yamllint.yaml" $(cat "$tmp/sources") || fail "yamllint: sources"
echo "charts: $n charts rendered with defaults and overrides; yamllint clean on $(wc -l < "$tmp/sources") sources"
