#!/bin/sh
# k8s/deploy --dry-run prints the whole ordered plan (Istio, namespaces,
# Istio policy and routing, the twelve charts into their own namespaces,
# monitoring, smoke) and runs nothing; the canary commands' patches apply to
# the committed manifests and keep mesh and ingress splits equal.
. "$(dirname "$0")/lib.sh"
D="$K/deploy"
"$D" --dry-run --tag 1.2.3 --registry reg.example > "$tmp/plan" 2>&1 || { cat "$tmp/plan"; fail "dry run failed"; }
cat "$tmp/plan"
line() { grep -n -- "$1" "$tmp/plan" | head -1 | cut -d: -f1; }
order() { # order PATTERN...: each first appears after the one before
  prev=0 prevp=
  for p in "$@"; do
    n=$(line "$p"); [ -n "$n" ] || fail "the plan lacks: $p"
    [ "$n" -gt "$prev" ] || fail "the plan does '$p' (line $n) before '$prevp' (line $prev)"
    prev=$n prevp=$p
  done
}
order "upgrade --install istio-base istio/base" "upgrade --install istiod istio/istiod" \
      "upgrade --install istio-ingressgateway istio/gateway" "apply -f k8s/istio/namespaces.yaml" \
      "apply -f k8s/eks/storageclass.yaml" "apply -f k8s/istio/mesh.yaml" "apply -f k8s/istio/authorization.yaml" \
      "upgrade --install currencyservice " "upgrade --install checkoutservice " "upgrade --install frontend " \
      "upgrade --install loadgenerator " "upgrade --install kube-prometheus-stack " "upgrade --install meshsim-monitoring " \
      "rollout status deployment/frontend" "/_healthz"
for f in "$K"/istio/*.yaml; do
  grep -q "apply -f k8s/istio/$(basename "$f")$" "$tmp/plan" || fail "the plan never applies k8s/istio/$(basename "$f")"
done
for c in $(charts); do
  ns=$(value "$c" namespace)
  grep -q "helm upgrade --install $c k8s/charts/$c -n $ns .*--set image.tag=1.2.3 --set image.registry=reg.example" "$tmp/plan" ||
    fail "the plan does not install $c into $ns with the tag and registry"
  [ "$(line "dependency build k8s/charts/$c$")" -lt "$(line "upgrade --install $c ")" ] || fail "$c: dependency build not first"
done
grep -q "^deploy: dry run" "$tmp/plan" || fail "dry run not announced"
[ "$(grep -c '^\[[0-9]*\] ' "$tmp/plan")" = "$(sed -n 's/^deploy: \([0-9]*\) steps$/\1/p' "$tmp/plan")" ] || fail "steps miscounted"
grep -q -- "-f k8s/monitoring/kube-prometheus-stack.yaml" "$tmp/plan" || fail "kube-prometheus-stack without our values"

# Usage errors.
"$D" --dry-run weights frontend 50 20 >/dev/null 2>&1 && fail "weights not adding to 100 accepted"
"$D" --dry-run canary cartservice --canary-tag x >/dev/null 2>&1 && fail "canary of a service without one accepted"
"$D" --dry-run canary frontend >/dev/null 2>&1 && fail "canary without --canary-tag accepted"
"$D" --dry-run nonsense >/dev/null 2>&1 && fail "unknown command accepted"
"$D" --dry-run service frontend --tag 9 | grep -q "canary.image.tag=9" || fail "a plain deploy leaves the canary on another tag"

# The weights patches, applied to the committed manifests as the API server
# would (tests first), keep the mesh and ingress splits equal.
build_render
npm_ci
"$RENDER" --yaml2json "$K"/istio/*.yaml > "$tmp/istio.json"
for c in $(charts); do render "$c" -o json > "$tmp/chart-$c.json"; done
"$D" --dry-run weights frontend 70 30 > "$tmp/w1"
"$D" --dry-run weights business 0 100 > "$tmp/w2"
grep -h "patch virtualservice" "$tmp/w1" "$tmp/w2" > "$tmp/patches"
[ "$(wc -l < "$tmp/patches")" = 4 ] || fail "want 4 patches, got: $(cat "$tmp/patches")"
apply_patches() { # apply_patches IN OUT [MAX]: apply the first MAX patches
  "${PYTHON3:-python3}" - "$1" "$2" "$tmp/patches" "${3:-99}" <<'PY'
import json, re, shlex, sys
items = json.load(open(sys.argv[1]))
for n, line in enumerate(open(sys.argv[3])):
    if n >= int(sys.argv[4]):
        break
    w = shlex.split(re.sub(r"^\[\d+\] ", "", line))
    ns, name, patch = w[w.index("-n") + 1], w[w.index("virtualservice") + 1], json.loads(w[w.index("-p") + 1])
    obj = next(i["object"] for i in items if i["object"]["kind"] == "VirtualService"
               and i["object"]["metadata"]["name"] == name and i["object"]["metadata"]["namespace"] == ns)
    for op in patch:
        *parents, last = [int(p) if p.isdigit() else p for p in op["path"].strip("/").split("/")]
        target = obj
        for p in parents:
            target = target[p]
        if op["op"] == "test":
            assert target[last] == op["value"], f"patch test failed: {op}"
        else:
            target[last] = op["value"]
json.dump(items, open(sys.argv[2], "w"))
PY
}
apply_patches "$tmp/istio.json" "$tmp/patched.json" || fail "the weights patches do not apply to k8s/istio"
grep -q '"weight": 70' "$tmp/patched.json" || grep -q '"weight":70' "$tmp/patched.json" || fail "patch did not set 70"
node "$VALIDATE" objects "$tmp"/chart-*.json "$tmp/patched.json" > "$tmp/out" || { cat "$tmp/out"; fail "patched manifests invalid"; }
apply_patches "$tmp/istio.json" "$tmp/half.json" 1
node "$VALIDATE" objects "$tmp"/chart-*.json "$tmp/half.json" > "$tmp/out" && fail "a mesh-only weight change went unnoticed"
grep -q "splits frontend.frontend.svc.cluster.local as" "$tmp/out" || { cat "$tmp/out"; fail "mismatch not named"; }
echo "deploy: $(sed -n 's/^deploy: \([0-9]*\) steps$/\1/p' "$tmp/plan")-step plan in order; weights patches apply and keep splits equal"
