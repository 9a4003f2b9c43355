#!/bin/sh
# bench-sim: the whole shop in virtual time at a fixed open-loop rate
# (default 1000 requests/s at the frontend, the Locust request mix) for a
# virtual duration (default 1h), under /usr/bin/time -v: wall time,
# speed-up over real time (virtual seconds / wall seconds; also per CPU
# second, which a busy shared machine does not move), peak RSS.
# Usage: sim_bench.sh MESHSIM [RATE] [DURATION]; BENCH_DES_CPU pins a core.
# SIM_BENCH_SET (default frontend.replicaCount=2): chart overrides. The
# default shop has one stable 200m frontend pod beside the canary, and the
# mesh's 90/10 canary split sends 900 req/s to it: more than it can serve
# (`meshsim capacity --rate 1000 --slo 'errors<1%'` sizes it), so the
# benchmark gives it the second replica a planner would.
set -u
M=${1:?usage: sim_bench.sh MESHSIM [RATE] [DURATION]}
RATE=${2:-1000}
DUR=${3:-1h}
T=/usr/bin/time
[ -x "$T" ] || { echo "bench-sim: $T not found (apt-get install time)"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pin=
if command -v taskset >/dev/null 2>&1; then pin="taskset -c ${BENCH_DES_CPU:-0}"; fi
SET=${SIM_BENCH_SET-frontend.replicaCount=2}
sets=
for x in $SET; do sets="$sets --set $x"; done
echo "bench-sim: meshsim run --rate $RATE --duration $DUR$sets --json --quiet (pinned: ${pin:-no})"
# shellcheck disable=SC2086
$pin "$T" -v "$M" run --rate "$RATE" --duration "$DUR" $sets --json --quiet --seed 1 \
  >"$tmp/json" 2>"$tmp/time" || { cat "$tmp/time"; exit 1; }
python3 - "$tmp/json" "$tmp/time" <<'PY'
import json, re, sys
d = json.load(open(sys.argv[1]))
t = open(sys.argv[2]).read()
def field(name):
    return re.search(re.escape(name) + r": (.*)", t).group(1).strip()
w = field("Elapsed (wall clock) time (h:mm:ss or m:ss)").split(":")
wall = sum(float(x) * 60 ** i for i, x in enumerate(reversed(w)))
cpu = float(field("User time (seconds)")) + float(field("System time (seconds)"))
rss = int(field("Maximum resident set size (kbytes)")) / 1024
virt = d["virtual_seconds"] + d["warmup_seconds"]
print("virtual time  %.0f s (%.0f s of load after %.0f s of start-up)"
      % (virt, d["virtual_seconds"], d["warmup_seconds"]))
print("requests      %d (%.1f req/s), errors %d; %d engine events"
      % (d["requests"], d["rps"], d["errors"], d["engine_events"]))
print("wall time     %.1f s: %.1fx real time" % (wall, virt / wall))
print("CPU time      %.1f s (user + sys): %.1fx real time per CPU second"
      % (cpu, virt / cpu))
print("events        %.2f M/s of CPU" % (d["engine_events"] / cpu / 1e6))
print("peak RSS      %.1f MiB" % rss)
b = d["bottleneck"]
if b:
    print("bottleneck    %s (%s at %.1f %% of its CPU limit)"
          % (b["service"], b["pod"], 100 * b["utilisation"]))
PY
