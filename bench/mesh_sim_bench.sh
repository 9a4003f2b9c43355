#!/bin/sh
# bench-mesh-sim: the whole shop in virtual time at a fixed open-loop rate
# (default 1000 requests/s, the Locust mix) for a virtual duration (default
# 60s), with the data plane on (sidecars from k8s/istio: mTLS handshakes,
# AuthorizationPolicy, routing) and with --no-mesh, one after the other in
# the same run: wall and CPU time of each, speed-up over real time of
# each, and the on/off ratios; the load average before, since the machine
# is shared (CPU time moves less with the neighbours' load than wall time).
# Both runs get MESH_BENCH_SET (default: frontend.replicaCount=2): with the
# mesh, the canary VirtualService sends 90 % of the load to the stable
# frontend, which at 1000 requests/s needs more than one pod's 200m with the
# calibrated profile (it saturates, and the two runs would not do the same
# work); kube-proxy without the mesh spreads it evenly over stable and
# canary. Usage: mesh_sim_bench.sh MESHSIM [RATE] [DURATION]; BENCH_DES_CPU
# pins a core.
set -u
M=${1:?usage: mesh_sim_bench.sh MESHSIM [RATE] [DURATION]}
RATE=${2:-1000}
DUR=${3:-60s}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pin=
if command -v taskset >/dev/null 2>&1; then pin="taskset -c ${BENCH_DES_CPU:-0}"; fi
SET=${MESH_BENCH_SET-frontend.replicaCount=2}
sets=
for x in $SET; do sets="$sets --set $x"; done
echo "bench-mesh-sim: meshsim run --rate $RATE --duration $DUR$sets --json --quiet [--no-mesh] (pinned: ${pin:-no})"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for mode in on off; do
  flag=
  [ "$mode" = off ] && flag=--no-mesh
  $pin /usr/bin/time -f "%e %U %S" -o "$tmp/$mode.t" \
    "$M" run --rate "$RATE" --duration "$DUR" --json --quiet --seed 1 $sets $flag \
    >"$tmp/$mode.json" 2>"$tmp/$mode.err" || { cat "$tmp/$mode.err"; exit 1; }
done
python3 - "$tmp" <<'PY'
import json, sys
d = sys.argv[1]
res = {}
for mode in ("on", "off"):
    j = json.load(open("%s/%s.json" % (d, mode)))
    wall, user, sys_ = map(float, open("%s/%s.t" % (d, mode)).read().split()[-3:])
    virt = j["virtual_seconds"] + j["warmup_seconds"]
    res[mode] = (wall, user + sys_)
    print("mesh %-3s  %7d requests, %5d errors, p99 %7.2f ms, %9d events: "
          "%6.2f s wall (%6.1fx real time), %6.2f s CPU (%6.1fx per CPU s)"
          % (mode, j["requests"], j["errors"], j["total"]["p99_ms"],
             j["engine_events"], wall, virt / wall, user + sys_,
             virt / (user + sys_)))
print("mesh on / off: wall time %.2f, CPU time %.2f"
      % (res["on"][0] / res["off"][0], res["on"][1] / res["off"][1]))
PY
