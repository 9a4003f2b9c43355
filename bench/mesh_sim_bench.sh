#!/bin/sh
# bench-mesh-sim: the whole shop in virtual time at a fixed open-loop rate
# (default 1000 requests/s, the Locust mix) for a virtual duration (default
# 60s), with the data plane on (sidecars from k8s/istio: mTLS handshakes,
# AuthorizationPolicy, routing) and with --no-mesh, one after the other in
# the same run: wall time of each, speed-up over real time of each, and the
# on/off ratio; the load average before, since the machine is shared.
# Usage: mesh_sim_bench.sh MESHSIM [RATE] [DURATION]; BENCH_DES_CPU pins a core.
set -u
M=${1:?usage: mesh_sim_bench.sh MESHSIM [RATE] [DURATION]}
RATE=${2:-1000}
DUR=${3:-60s}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pin=
if command -v taskset >/dev/null 2>&1; then pin="taskset -c ${BENCH_DES_CPU:-0}"; fi
echo "bench-mesh-sim: meshsim run --rate $RATE --duration $DUR --json --quiet [--no-mesh] (pinned: ${pin:-no})"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for mode in on off; do
  flag=
  [ "$mode" = off ] && flag=--no-mesh
  t0=$(date +%s.%N)
  $pin "$M" run --rate "$RATE" --duration "$DUR" --json --quiet --seed 1 $flag \
    >"$tmp/$mode.json" 2>"$tmp/$mode.err" || { cat "$tmp/$mode.err"; exit 1; }
  t1=$(date +%s.%N)
  echo "$t0 $t1" >"$tmp/$mode.t"
done
python3 - "$tmp" <<'PY'
import json, sys
d = sys.argv[1]
res = {}
for mode in ("on", "off"):
    j = json.load(open("%s/%s.json" % (d, mode)))
    t0, t1 = map(float, open("%s/%s.t" % (d, mode)).read().split())
    virt = j["virtual_seconds"] + j["warmup_seconds"]
    res[mode] = t1 - t0
    print("mesh %-3s  %7d requests, %5d errors, p99 %7.2f ms, %9d events: "
          "%6.2f s wall, %6.1fx real time"
          % (mode, j["requests"], j["errors"], j["total"]["p99_ms"],
             j["engine_events"], t1 - t0, virt / (t1 - t0)))
print("mesh on / off wall time: %.2f (the data plane costs %.0f %% more)"
      % (res["on"] / res["off"], (res["on"] / res["off"] - 1) * 100))
PY
