#!/bin/sh
# `meshsim run` follows the chart values files, not a copy of its own: in a
# temporary copy of k8s/charts, the frontend's autoscaling is switched on
# (CPU requests of 1m, so 50 arrivals/s are far above the 70 % target) and
# its maxReplicas edited; the HPA then scales the stable Deployment to
# exactly maxReplicas, 2 in one run and 3 in the next. With the committed
# charts (autoscaling off) there is no HPA at all.
set -u
B=${MESHSIM_BUILDDIR:-.}
S=${MESHSIM_SRCDIR:-.}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
printf 'duration: 3m\nseed: 1\nload:\n  rate: 50\n' > "$tmp/s.yaml"
run() { # run CHARTS: report in $tmp/out, event log in $tmp/log
  "$B/meshsim" run --quiet "$tmp/s.yaml" --charts "$1" \
    --profile "$S/data/cost-profile.json" --event-log "$tmp/log" >"$tmp/out" 2>"$tmp/err" ||
    fail "meshsim run --charts $1: $(cat "$tmp/err")"
}

run "$S/k8s/charts"
grep -q "HorizontalPodAutoscaler" "$tmp/log" && fail "an HPA with the committed charts (autoscaling is off)"

cp -R "$S/k8s/charts" "$tmp/charts"
chmod -R u+w "$tmp/charts"
f=$tmp/charts/frontend/values.yaml
sed -e '/^resources:/,/^env:/ s/^    cpu: 100m$/    cpu: 1m/' \
    -e '/^autoscaling:/,/^strategy:/ s/^  enabled: false$/  enabled: true/' "$f" > "$tmp/v" && cp "$tmp/v" "$f"
grep -q "^    cpu: 1m$" "$f" && grep -A3 "^autoscaling:" "$f" | grep -q "enabled: true" ||
  fail "could not edit $f (layout changed?)"
for max in 2 3; do
  sed "/^autoscaling:/,/^strategy:/ s/^  maxReplicas: .*/  maxReplicas: $max/" "$f" > "$tmp/v" && cp "$tmp/v" "$f"
  run "$tmp/charts"
  grep -q "HorizontalPodAutoscaler frontend/frontend SuccessfulRescale: New size: $max;" "$tmp/log" ||
    fail "maxReplicas $max: the HPA did not scale to $max: $(grep SuccessfulRescale "$tmp/log")"
  sed -n 's/.*HorizontalPodAutoscaler frontend\/frontend SuccessfulRescale: New size: \([0-9]*\);.*/\1/p' "$tmp/log" |
    while read -r n; do [ "$n" -le "$max" ] || { echo "FAIL: maxReplicas $max: scaled to $n"; exit 1; }; done || exit 1
  # In the POD table (the SIDECAR table lists the pods again).
  n=$(sed -n '/^POD /,/^$/p' "$tmp/out" | grep -c '^frontend-[a-z0-9]*-[a-z0-9]* ')
  [ "$n" = "$max" ] || fail "maxReplicas $max: $n stable frontend pods in the report"
done
echo "ok: the HPA follows autoscaling.maxReplicas edited in the chart's values.yaml"
