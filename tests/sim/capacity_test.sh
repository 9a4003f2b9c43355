#!/bin/sh
# `meshsim capacity` end to end, on a shop whose product catalog gets 5
# millicores per pod, so that one replica saturates at 100 requests/s:
# - the search finds an answer that needs more than one catalog replica;
# - its --set flags, fed back to `meshsim run`, meet the SLO on every route,
#   and one replica fewer of any service it raised misses it (no obvious
#   waste);
# - the values snippet and --json say the same as the flags;
# - the same seed gives the same stdout, byte for byte;
# - a bad SLO is refused with exit 2 and a message naming it;
# - an SLO out of reach within --max-replicas exits 1 with the best found.
set -u
B=${MESHSIM_BUILDDIR:-.}
S=${MESHSIM_SRCDIR:-.}
M="$B/meshsim"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

LOAD="--rate 100 --duration 20s --seed 3 --charts $S/k8s/charts --profile $S/data/cost-profile.json"
TIGHT="--set productcatalogservice.resources.limits.cpu=5m --set productcatalogservice.resources.requests.cpu=5m"
LIMIT=80
# p99 on every route (what the checks below re-measure), plus an error
# budget and a looser bound on one route: sim/report/slo's syntax.
SLO="p99<${LIMIT}ms,errors<1%,POST /cart/checkout:p99<=200ms"

# shellcheck disable=SC2086
"$M" capacity $LOAD $TIGHT --slo "$SLO" >"$tmp/out1" 2>"$tmp/err1" ||
  fail "search: exit $?: $(tail -5 "$tmp/err1")"
grep -qF "meets $SLO with " "$tmp/out1" || fail "no 'meets' line: $(head -3 "$tmp/out1")"
grep -q '^meshsim capacity: #1 ' "$tmp/err1" || fail "no progress on stderr"
sets=$(sed -n '/^--set flags/{n;p;}' "$tmp/out1")
k=$(echo "$sets" | sed -n 's/.*--set productcatalogservice\.replicaCount=\([0-9]*\).*/\1/p')
[ -n "$k" ] && [ "$k" -gt 1 ] ||
  fail "the catalog saturates at 1 replica, yet the answer is '$sets'"
grep -A1 "productcatalogservice/values.yaml" "$tmp/out1" | grep -qx "replicaCount: $k" ||
  fail "the values snippet does not say replicaCount: $k"

# The worst p99 over the routes of a `meshsim run --json` report on stdin,
# and how many routes it has, as "WORST N".
worst() {
  grep '^ *{"route": ' | sed 's/.*"p99_ms": \([0-9.]*\).*/\1/' |
    awk 'BEGIN { w = 0; n = 0 } { n++; if ($1 + 0 > w) w = $1 + 0 } END { print w, n }'
}
check_run() { # expect (meets|misses), extra --set flags...
  expect=$1; shift
  # shellcheck disable=SC2086
  "$M" run --quiet --json $LOAD $TIGHT "$@" >"$tmp/run.json" 2>"$tmp/run.err" ||
    fail "meshsim run $*: exit $?: $(cat "$tmp/run.err")"
  set -- $(worst <"$tmp/run.json")
  [ "$2" -ge 5 ] || fail "only $2 routes in the run's report"
  if [ "$expect" = meets ]; then
    awk "BEGIN { exit !($1 < $LIMIT) }" || fail "fed back to meshsim run, p99 is $1 ms, not < $LIMIT"
  else
    awk "BEGIN { exit !($1 >= $LIMIT) }" || fail "one replica fewer still meets p99<$LIMIT ($1 ms): $*"
  fi
}
# shellcheck disable=SC2086
check_run meets $sets
for s in $sets; do
  case $s in
  *.replicaCount=*)
    n=${s##*=}
    [ "$n" -gt 1 ] || continue
    fewer=$(echo "$sets" | sed "s/--set ${s%=*}=$n/--set ${s%=*}=$((n - 1))/")
    # shellcheck disable=SC2086
    check_run misses $fewer
    ;;
  esac
done

# Same seed, same bytes; --json agrees with the table.
# shellcheck disable=SC2086
"$M" capacity $LOAD $TIGHT --slo "$SLO" --quiet >"$tmp/out2" 2>"$tmp/err2" ||
  fail "second search: exit $?"
cmp -s "$tmp/out1" "$tmp/out2" || { diff "$tmp/out1" "$tmp/out2" | head; fail "same seed, different result"; }
[ -s "$tmp/err2" ] && fail "--quiet, yet stderr has: $(head -3 "$tmp/err2")"
# shellcheck disable=SC2086
"$M" capacity $LOAD $TIGHT --slo "$SLO" --quiet --json >"$tmp/json" ||
  fail "--json search: exit $?"
grep -q '^  "feasible": true,' "$tmp/json" || fail "--json: not feasible"
grep -q "\"productcatalogservice.replicaCount=$k\"" "$tmp/json" || fail "--json: no set for the catalog"
grep -q '"achieved": ' "$tmp/json" || fail "--json: no SLO figures"
[ "$(grep -c '"holds": true' "$tmp/json")" = 3 ] || fail "--json: not 3 objectives held"
grep -q '"route": "POST /cart/checkout"' "$tmp/json" || fail "--json: the route objective lost its route"

# Bad SLOs: exit 2, the text and the problem named, no search run.
for bad in 'p99<300' 'p90<300ms' 'p99>300ms' 'errors<1' 'p99<300ms,' \
  'GET /nope:p99<1s' ':p99<1s' 'success<99%'; do
  # shellcheck disable=SC2086
  "$M" capacity $LOAD --slo "$bad" >"$tmp/bad.out" 2>"$tmp/bad.err"
  rc=$?
  [ $rc = 2 ] || fail "--slo '$bad': exit $rc, not 2"
  grep -qF "SLO '$bad'" "$tmp/bad.err" || fail "--slo '$bad': the message does not name it: $(cat "$tmp/bad.err")"
  grep -q '#1' "$tmp/bad.err" && fail "--slo '$bad': a search ran"
done
"$M" capacity --duration 20s --slo 'p99<1s' >/dev/null 2>"$tmp/bad.err"
[ $? = 2 ] || fail "no --rate/--users check"
# shellcheck disable=SC2086
"$M" capacity $LOAD --slo 'p99<1s' --set frontend.autoscaling.enabled=true \
  --set frontend.autoscaling.maxReplicas=3 >/dev/null 2>"$tmp/bad.err"
[ $? = 2 ] || fail "a chart with an HPA was not refused"
grep -q 'frontend/values.yaml: autoscaling.enabled' "$tmp/bad.err" ||
  fail "the HPA refusal does not name the file and key: $(cat "$tmp/bad.err")"

# Out of reach: the catalog needs more than 2 replicas.
# shellcheck disable=SC2086
"$M" capacity $LOAD $TIGHT --slo "$SLO" --max-replicas 2 --quiet >"$tmp/inf" 2>&1
rc=$?
[ $rc = 1 ] || fail "out of reach: exit $rc, not 1: $(head -3 "$tmp/inf")"
head -1 "$tmp/inf" | grep -qF "no configuration within 2 replicas per service meets $SLO at " &&
  head -1 "$tmp/inf" | grep -qF "; best: " ||
  fail "out of reach: no 'no configuration ... best:' line: $(head -3 "$tmp/inf")"
grep -q 'MISSED' "$tmp/inf" || fail "out of reach: the missed SLO is not shown"
echo "ok: capacity found productcatalogservice x$k for $SLO; checked with meshsim run"
