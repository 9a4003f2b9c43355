#!/bin/sh
# tests/mesh/analyze.sh: `meshsim analyze` on manifests that reproduce the
# seed's three canary faults (shared/BOUTIQUE.md), each reported with its
# file, line and a fix; one of each other check (fixtures/more-faults); and
# our real manifests (k8s/istio, with the chart values) reported clean.
set -u
B=${MESHSIM_BUILDDIR:-.}
S=${MESHSIM_SRCDIR:-.}
M="$B/meshsim"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# expect FILE:LINE SEVERITY TEXT: a finding at that place, with TEXT in it
# and a fix.
expect() {
  grep -F -- "$1: $2: " "$tmp/out" | grep -F -- "$3" | grep -qF '(fix: ' ||
    { cat "$tmp/out"; fail "no $2 at $1 saying: $3"; }
}

# Run from the source tree, so the file names are the fixtures' own.
cd "$S" || fail "no source tree $S"

# 1. The seed's three faults.
F=tests/mesh/fixtures/seed-faults
"$M" analyze $F >"$tmp/out" 2>"$tmp/err"; rc=$?
cat "$tmp/out"
[ $rc = 1 ] || fail "seed faults: exit $rc, want 1"
# (1) the split is bound only to the gateway, not to mesh
expect $F/canary-frontend.yaml:27 error 'is bound only to gateway my-gateway, not to mesh: its weighted split never applies to service-to-service calls to frontend.frontend.svc.cluster.local, such as loadgenerator/loadgenerator'
expect $F/canary-frontend.yaml:27 error 'add "- mesh" to spec.gateways'
# (2) my-gateway named without its namespace from namespace frontend
expect $F/canary-frontend.yaml:28 error 'gateway "my-gateway" means frontend/my-gateway, and there is no such Gateway'
expect $F/canary-frontend.yaml:28 error 'name it "<that-namespace>/my-gateway"'
expect $F/gateway.yaml:4 warning 'Gateway my-gateway has no metadata.namespace'
# (3) the ingress sends / to frontend-external, not to the split's host
expect $F/gateway.yaml:40 error 'the gateway routes to frontend-external.frontend.svc.cluster.local, not to frontend.frontend.svc.cluster.local'
expect $F/gateway.yaml:40 error 'route to frontend.frontend.svc.cluster.local with its subsets and weights (stable 20, canary 80)'
grep -q '3 errors, 1 warning' "$tmp/err" || fail "seed faults: summary $(cat "$tmp/err")"
# sorted by file, then line
sort -t: -k1,1 -k2,2n -s "$tmp/out" | cmp -s - "$tmp/out" || fail "findings not sorted"

# 2. One of each other check.
F=tests/mesh/fixtures/more-faults
"$M" analyze -q --calls $F/calls.txt $F/shop.yaml >"$tmp/out" 2>&1; rc=$?
cat "$tmp/out"
[ $rc = 1 ] || fail "more faults: exit $rc, want 1"
expect $F/calls.txt:4 error 'cannot read this call'
expect $F/shop.yaml:73 error 'makes shop/cart STRICT, but caller legacy/batch has no sidecar'
expect $F/shop.yaml:79 warning 'portLevelMtls without a selector is ignored'
expect $F/shop.yaml:81 error 'AuthorizationPolicy shop/cart refuses shop/web -> cart.shop.svc.cluster.local /hipstershop.CartService/AddItem'
grep -q 'GetCart, which' "$tmp/out" && fail "an allowed call was reported"
expect $F/shop.yaml:99 error 'subset v2 (version=v2) of DestinationRule shop/cart: no pod of Service cart'
expect $F/shop.yaml:110 error 'Service web selects app=web,version=stable, which pins version: subset canary'
expect $F/shop.yaml:118 error 'reach the same pods (cart): the weighted split changes nothing'
expect $F/shop.yaml:118 warning 'weights sum to 90, not 100'
expect $F/shop.yaml:132 error 'destination host ratings.shop.svc.cluster.local names no Service'
expect $F/shop.yaml:134 error 'write "cart.shop.svc.cluster.local"'

# 3. Our real manifests: no error, no warning, with and without the charts.
for args in "k8s/istio" "--charts k8s/charts k8s/istio"; do
  "$M" analyze $args >"$tmp/out" 2>&1; rc=$?
  cat "$tmp/out"
  [ $rc = 0 ] || fail "analyze $args: exit $rc"
  grep -qE ': (error|warning): ' "$tmp/out" && fail "analyze $args: findings"
done
"$M" analyze --strict --charts k8s/charts k8s/istio >/dev/null 2>&1 || fail "k8s/istio has warnings"
# The charts' ALLOW policies admit every call the values make: breaking one
# principal is caught, at the policy, naming the values line that needs it.
cp -r k8s/istio "$tmp/istio"
sed 's|cluster.local/ns/recommendationservice/sa/recommendationservice|cluster.local/ns/x/sa/y|' \
  k8s/istio/authorization.yaml >"$tmp/istio/authorization.yaml"
"$M" analyze --charts k8s/charts "$tmp/istio" >"$tmp/out" 2>&1; rc=$?
[ $rc = 1 ] || { cat "$tmp/out"; fail "broken authorization: exit $rc"; }
grep -q 'refuses recommendationservice/recommendationservice -> productcatalogservice.productcatalogservice.svc.cluster.local.*k8s/charts/recommendationservice/values.yaml:[0-9]' "$tmp/out" ||
  { cat "$tmp/out"; fail "broken authorization not reported"; }

# 4. Warnings fail only with --strict; templates are skipped; usage.
printf 'apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: g}\nspec:\n  selector: {istio: ingressgateway}\n  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*"]}]\n' >"$tmp/gw.yaml"
"$M" analyze "$tmp/gw.yaml" >/dev/null 2>&1 || fail "a warning failed without --strict"
"$M" analyze --strict "$tmp/gw.yaml" >/dev/null 2>&1 && fail "a warning passed with --strict"
"$M" analyze k8s/charts/frontend/templates >"$tmp/out" 2>&1 || fail "templates: exit $?"
grep -q 'info: skipped: a Helm template' "$tmp/out" || { cat "$tmp/out"; fail "template not noted"; }
"$M" analyze --no-such-flag x >/dev/null 2>&1; [ $? = 2 ] || fail "bad flag not exit 2"
"$M" analyze >/dev/null 2>&1; [ $? = 2 ] || fail "no path not exit 2"
"$M" analyze --help | grep -q -- '--charts DIR' || fail "--help lacks --charts"
"$M" analyze /no/such/file >/dev/null 2>&1; [ $? = 1 ] || fail "missing file not exit 1"
echo "analyze: ok"
