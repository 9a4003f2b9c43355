#!/bin/bash
# simlive_bench.sh BUILDDIR SRCDIR -- the body of `make bench-simlive`
# (never run by `make check`).
#
# The virtual-versus-live check: the same closed-loop load on the live shop
# and in the simulator, and how far apart their latencies are.
#
#   1. The load: BENCH_USERS virtual users of the load generator (upstream's
#      Locust task mix and 1-10 s think times; the same code, services/
#      loadgenerator, drives both), started at BENCH_SPAWN_RATE per second,
#      for BENCH_SECONDS seconds.
#   2. Live: `meshsim up --users 0` on its own loopback net (127.0.13.x, the
#      frontend on 127.0.0.1:BENCH_PORT; each ready service probed every
#      10 s, as the kubelet probes a pod), state on /dev/shm (as `meshsim
#      run` keeps its volumes), then the `loadgenerator` program with that
#      load (after BENCH_WARMUP seconds of 20 users, not measured: the
#      services open their connections on first use); its --json has each
#      route's median and 99th percentile.
#   3. The link's jitter, from the live run: on this shared 2-vCPU VM a
#      woken process often waits for a CPU (the shop's other processes,
#      the load generator, other tenants), a wait heavy-tailed enough to
#      set the live p99s. The simulator adds it to a message when its
#      receiver is asleep (one draw per wake-up, by how long it slept;
#      none while it runs: sim/vrt/README.md, "Network"). BENCH_LINK:
#      sched (the default when `perf` can record here): a scheduler's
#      record of the live run (`perf record -e sched:sched_switch -e
#      sched:sched_wakeup -a`, printed by `perf sched timehist --state`):
#      every wake-up of the shop's own processes, how long each had slept
#      and then waited for a CPU, read by `meshsim calibrate --link-only
#      --wakeups` (tools/schedwake.h): on the CPUs whose idle time the
#      record has (perf records none on this VM's CPU 1); and the stalls
#      (runs of 1.5 ms or more: the vCPU stopped under the task, 3-4 ms
#      each), merged into freezes of the machine (those less than 5 ms
#      apart; 4-6 began per second of the processes' CPU, 2-50 ms long),
#      in which the simulator stops every pod (the profile's "freezes",
#      sim/vrt/README.md). probe (the fallback): `meshsim
#      calibrate --link-only` beside the load sends BENCH_SECONDS x 500
#      small messages on loopback TCP to a sleeping process of its own
#      (tools/linkprobe.h); its waits are a stand-in for the services'.
#   0. With BENCH_CALIBRATE=1, `meshsim calibrate` first: the CPU each
#      call costs the live services now, the profile the simulation below
#      uses (by default the shipped one, see BENCH_CALIBRATE).
#   4. Virtual: `meshsim run --users N --spawn-rate R --duration D
#      --no-mesh --seed S` for S = 1..BENCH_SIM_SEEDS (the live shop runs
#      no sidecars; each figure is the median over the seeds, the model's
#      rather than one sample's; a longer run would not do: users' carts
#      grow with time, and with them checkout) with the cost profile
#      (BENCH_PROFILE, default data/cost-profile.json, as measured by
#      `meshsim calibrate`) and that link (`--link profile`), the load
#      generator's pod included (its client cost, the profile's "clients",
#      is charged on its pod's CPU), and the CPU model below.
#   5. The table: p50 and p99 of GET / and POST /cart/checkout, live and
#      virtual, the ratio virtual/live, and whether it is within 25 %.
#
# Nothing in the simulator's inputs comes from the latencies compared: the
# CPU costs are the calibrated profile's, the link's jitter the scheduler's
# (or the probe's). The topology is the live shop's: one process per
# service, so the charts' canaries (a second frontend and business pod)
# are off.
#
# The CPU (BENCH_CORES):
#   1 (the default): every pod a core of its own: each live service is one
#     single-threaded process, and waiting for a CPU is the link's jitter.
#   node: every pod on one node of the machine's vCPUs (`--node-cpu
#     --nodes 1x<nproc>`), each limited to one core, equal requests (equal
#     cpu.shares: the live processes are all nice 0): pods slow each other
#     when more are busy than there are vCPUs.
#   share: the earlier model, kept to compare: every pod its own server of
#     f of a core, f = run/(run+wait) of the shop's processes over the live
#     run (/proc/PID/task/*/schedstat): one constant that slows every
#     demand evenly (it made the medians too slow and the tails too short).
#   <number>: every pod its own server of that many cores.
#
# Writes SRCDIR/bench/results/simlive-latest.md and replaces the generated
# part of BENCHMARKS.md's sim-vs-live section (unless BENCH_NO_DOC=1).
#
# Environment:
#   BENCH_USERS       users (default 300: about 55 requests/s)
#   BENCH_SPAWN_RATE  users started per second (default 50)
#   BENCH_SECONDS     seconds of measured live load (default 900: about 2500
#                     checkouts and 2800 home pages; the bench takes about
#                     18 min. One 300 s run's p99s move 15-16 % (sd) from
#                     run to run, most of it the run's own sampling, so
#                     one in five 300 s runs missed 25 % whatever the
#                     model; BENCHMARKS.md, "Freezes per wake-up")
#   BENCH_WARMUP      seconds of unmeasured warm-up load before it (default 10)
#   BENCH_SIM_SEEDS   simulations of the same length, seeds 1..N (default 20,
#                     about 1 s each); each virtual figure is their median
#                     (the model's, less one sample's noise: one seed's
#                     checkout p99 is its 9th-largest of about 860)
#   BENCH_PROFILE     cost profile (default SRCDIR/data/cost-profile.json)
#   BENCH_CALIBRATE   1: measure the profile afresh before the live run
#                     (`meshsim calibrate`, about 40 s); 0 (default):
#                     BENCH_PROFILE. On a quiet machine a fresh profile
#                     left every virtual median 20-35 % short (one call at
#                     a time on warm caches costs less than a call among
#                     the load's); the shipped one, measured with other
#                     load on the machine, came within 10 % (BENCHMARKS.md)
#   BENCH_LINK        "sched" (the default when perf can record; else
#                     "probe"), "probe" (both measured in the live run,
#                     above), or a meshsim run --link value ("profile": the
#                     one in BENCH_PROFILE; a duration such as 200us)
#   BENCH_PORT        the live frontend's port on 127.0.0.1 (default 18113)
#   BENCH_NET         the live shop's loopback /24 (default 127.0.13)
#   BENCH_RESULTS     results directory (default SRCDIR/bench/results)
#   BENCH_NO_DOC=1    do not touch BENCHMARKS.md
#   BENCH_KEEP=1      keep the scratch directory (logs, JSON)
#   BENCH_ENFORCE=1   exit 1 when a figure is not within 25 %
#   BENCH_CORES       the CPU model: 1 (default), "node", "share" or a number
#                     of cores per pod (above)
set -u

me=simlive_bench
say() { printf '%s: %s\n' "$me" "$*" >&2; }
die() { say "$*"; exit 2; }

builddir=$(cd "${1:-.}" && pwd) || die "no build directory ${1:-.}"
srcdir=$(cd "${2:-$(dirname "$0")/..}" && pwd) || die "no source directory ${2:-}"

USERS=${BENCH_USERS:-300}
SPAWN=${BENCH_SPAWN_RATE:-50}
SECS=${BENCH_SECONDS:-900}
WARMUP=${BENCH_WARMUP:-10}
SEEDS=${BENCH_SIM_SEEDS:-20}
CALIBRATE=${BENCH_CALIBRATE:-0}
case $CALIBRATE in 0|1) ;; *) die "BENCH_CALIBRATE must be 0 or 1";; esac
PROFILE=${BENCH_PROFILE:-$srcdir/data/cost-profile.json}
base_profile=$PROFILE
# perf can record the scheduler here (root, or perf_event_paranoid <= -1)?
perf_works() {
    command -v perf >/dev/null 2>&1 &&
        perf record -q -e sched:sched_switch -a -o /dev/null -- true >/dev/null 2>&1
}
if [ -n "${BENCH_LINK:-}" ]; then
    LINK=$BENCH_LINK
    [ "$LINK" != sched ] || perf_works ||
        die "BENCH_LINK=sched needs perf recording sched events (Debian: linux-perf, as root)"
elif perf_works; then
    LINK=sched
else
    LINK=probe
    say "perf cannot record the scheduler here (Debian: linux-perf; as root): the link probe stands in"
fi
PORT=${BENCH_PORT:-18113}
NET=${BENCH_NET:-127.0.13}
CORES=${BENCH_CORES:-1}
results=${BENCH_RESULTS:-$srcdir/bench/results}
for v in USERS SECS PORT SEEDS; do
    eval "x=\$$v"
    case $x in ''|0|*[!0-9]*) die "BENCH_$v must be a positive whole number";; esac
done
[ "$SECS" -le 3600 ] || die "BENCH_SECONDS is at most 3600"
case $WARMUP in ''|*[!0-9]*) die "BENCH_WARMUP must be a whole number of seconds";; esac
[ "$SEEDS" -le 100 ] || die "BENCH_SIM_SEEDS is at most 100"
[ -r "$PROFILE" ] || die "no cost profile $PROFILE (make one with: meshsim calibrate --out FILE)"
meshsim="$builddir/meshsim"
loadgen="$builddir/loadgenerator"
for b in "$meshsim" "$loadgen"; do
    [ -x "$b" ] || die "$b is not built (make $(basename "$b"))"
done
command -v python3 >/dev/null || die "python3 is needed to read the JSON reports"

base=/dev/shm
[ -d "$base" ] && [ -w "$base" ] || base=${TMPDIR:-/tmp}
scratch=$(mktemp -d "$base/simlive.XXXXXX") || die "cannot create a scratch directory"
up_pid=
cleanup() {
    [ -n "${probe_pid:-}" ] && kill "$probe_pid" 2>/dev/null
    [ -n "${perf_pid:-}" ] && kill -INT "$perf_pid" 2>/dev/null
    if [ -n "$up_pid" ] && kill -0 "$up_pid" 2>/dev/null; then
        kill -TERM "$up_pid" 2>/dev/null
        for _ in $(seq 1 100); do kill -0 "$up_pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$up_pid" 2>/dev/null
    fi
    if [ "${BENCH_KEEP:-0}" = 1 ]; then say "kept $scratch"; else rm -rf "$scratch"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

when=$(date -u '+%Y-%m-%d %H:%M UTC')
machine="$(uname -sm), $(nproc) vCPU ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1))"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- calibration ----------------------------------------------------------
# The CPU a call costs moves with the machine's other load (a call measured
# at load average 7 cost up to 1.6x what it did on a quiet machine): with
# BENCH_CALIBRATE=1 the profile is measured now, just before the live run.
if [ "$CALIBRATE" = 1 ]; then
    say "calibrating: meshsim calibrate (about 40 s)"
    "$meshsim" calibrate --out "$scratch/calibrated.json" --quiet >"$scratch/calibrate.log" 2>&1 ||
        { cat "$scratch/calibrate.log" >&2; die "meshsim calibrate failed"; }
    PROFILE=$scratch/calibrated.json
    base_profile="measured by meshsim calibrate in this run"
fi

# ---- live -----------------------------------------------------------------
say "live: starting the shop on $NET.x (frontend 127.0.0.1:$PORT)"
"$meshsim" up --users 0 --net "$NET" --port "$PORT" --state-dir "$scratch/shop" \
    --grace 2 >"$scratch/up.log" 2>&1 &
up_pid=$!
ok=0
for _ in $(seq 1 600); do
    if grep -q 'services are serving' "$scratch/up.log"; then ok=1; break; fi
    kill -0 "$up_pid" 2>/dev/null || break
    sleep 0.1
done
if [ $ok != 1 ]; then
    cat "$scratch/up.log" >&2
    die "the live shop did not become ready within 60 s"
fi
# The shop's processes' run and runnable-wait time (ns), summed over their
# threads: "RUN WAIT".
shop_sched() {
    local run=0 wait=0 n=0 p f a b c
    for p in $(pgrep -P "$up_pid"); do
        for f in /proc/"$p"/task/*/schedstat; do
            read -r a b c <"$f" 2>/dev/null || continue
            run=$((run + a)); wait=$((wait + b)); n=$((n + c))
        done
    done
    echo "$run $wait $n"
}
# Warm-up, not measured: the services open their connections to each other
# on first use, and the first requests also meet cold caches (the first
# checkout took 16-17 ms against 3.6 ms in the runs of 2026-11-26 02:04):
# the simulator models a shop that is up and running.
if [ "$WARMUP" -gt 0 ]; then
    say "live: warming up: 20 users for ${WARMUP}s (not measured)"
    "$loadgen" --frontend-addr "127.0.0.1:$PORT" --users 20 --rate 20 \
        --duration "${WARMUP}s" --stats-interval 0 --max-failure-ratio 0.05 \
        --json "$scratch/warmup.json" >"$scratch/warmup.txt" 2>&1 ||
        { cat "$scratch/warmup.txt" >&2; die "the warm-up load failed"; }
fi
sched0=$(shop_sched)
say "live: $USERS users at $SPAWN/s for ${SECS}s (load average $(cut -d' ' -f1-3 /proc/loadavg))"
# The link beside the load: how long a message to a sleeping process takes
# on this machine now (tools/linkprobe.h), written into a copy of the
# profile for the simulator's --link profile.
probe_pid=
probe_line=
perf_pid=
link_from=$LINK
if [ "$LINK" = probe ]; then
    "$meshsim" calibrate --link-only --link-seconds "$SECS" --base "$PROFILE" \
        --out "$scratch/profile.json" >"$scratch/probe.log" 2>&1 &
    probe_pid=$!
elif [ "$LINK" = sched ]; then
    # Every CPU's context switches and wake-ups for the load's length
    # (about 0.3 MB/s at this load); perf stops by itself. On CLOCK_MONOTONIC,
    # the clock the services and the load generator time with: perf's
    # default (the kernel's sched_clock) leaves out part of the time a
    # vCPU is stopped on this VM, so the stalls read shorter and fewer
    # (24 per second of CPU against 5-15; 19 of the 22 requests of 8 ms
    # or more met one on CPU 0, none of them with the default clock).
    perf record -q -k CLOCK_MONOTONIC -e sched:sched_switch -e sched:sched_wakeup \
        -e sched:sched_wakeup_new -a -o "$scratch/perf.data" -- sleep "$((SECS + 1))" >"$scratch/perf.log" 2>&1 &
    perf_pid=$!
fi
"$loadgen" --frontend-addr "127.0.0.1:$PORT" --users "$USERS" --rate "$SPAWN" \
    --duration "${SECS}s" --stats-interval 0 --max-failure-ratio 0.05 \
    --json "$scratch/live.json" >"$scratch/live.txt" 2>&1
lrc=$?
if [ -n "$probe_pid" ]; then
    wait "$probe_pid" || { cat "$scratch/probe.log" >&2; die "the link probe failed"; }
    probe_pid=
    probe_line=$(sed -n 's/^meshsim calibrate: link[^:]*: *//p' "$scratch/probe.log")
    say "live: the link probe beside the load: $probe_line"
    PROFILE=$scratch/profile.json
    LINK=profile
fi
if [ -n "$perf_pid" ]; then
    wait "$perf_pid" || { cat "$scratch/perf.log" >&2; die "perf record failed"; }
    perf_pid=
    perf sched timehist --state -i "$scratch/perf.data" >"$scratch/sched.txt" 2>"$scratch/timehist.log" ||
        { cat "$scratch/timehist.log" >&2; die "perf sched timehist failed"; }
    "$meshsim" calibrate --link-only --wakeups "$scratch/sched.txt" --base "$PROFILE" \
        --out "$scratch/profile.json" >"$scratch/probe.log" 2>&1 ||
        { cat "$scratch/probe.log" >&2; die "meshsim calibrate --wakeups failed"; }
    rm -f "$scratch/perf.data"
    probe_line=$(sed -n 's/^meshsim calibrate: wake-ups[^:]*: *//p' "$scratch/probe.log")
    stall_line=$(sed -n 's/^meshsim calibrate: stalls (runs of \([^:]*\): the vCPU stopped under the task): \([0-9]*\), \([0-9.]*\) per second of the processes. CPU.*; median \(.*\)/stalls (runs of \1: the vCPU stopped under the task): \2, \3 per second of the processes'"'"' CPU, median \4/p' "$scratch/probe.log")
    freeze_line=$(sed -n 's/^meshsim calibrate: freezes (\([^)]*\)): \([0-9]*\) in the record.s \([0-9.]*\) s, \(.*\)/freezes (\1), in which the simulation stops every pod: \2 in \3 s, \4/p' "$scratch/probe.log")
    cpu_line=$(sed -n 's/^meshsim calibrate: \([0-9]* of [0-9]* CPUs\) have no idle lines.*: their \([0-9]*\) wake-ups are left out.*/\1 had no idle lines in the record (their runs include idle time): their \2 wake-ups were left out/p' "$scratch/probe.log")
    say "live: the shop's wake-ups (perf sched): $probe_line"
    [ -n "$cpu_line" ] && say "live: $cpu_line"
    [ -n "$stall_line" ] && say "live: $stall_line"
    [ -n "$freeze_line" ] && say "live: $freeze_line"
    probe_line="$probe_line${stall_line:+; $stall_line}${freeze_line:+; $freeze_line}${cpu_line:+; $cpu_line}"
    PROFILE=$scratch/profile.json
    LINK=profile
fi
load_live=$(cut -d' ' -f1-3 /proc/loadavg)
sched1=$(shop_sched)
set -- $sched0 $sched1
run_ns=$(($4 - $1)); wait_ns=$(($5 - $2)); slices=$(($6 - $3))
[ "$run_ns" -gt 0 ] || die "no CPU time read from the shop's processes' schedstat"
say "live: $slices times scheduled in; mean wait $((wait_ns / (slices > 0 ? slices : 1) / 1000)) us, mean run $((run_ns / (slices > 0 ? slices : 1) / 1000)) us"
share=$(python3 -c "import sys; r,w=map(int,sys.argv[1:]); print('%.3f' % (r/(r+w)))" "$run_ns" "$wait_ns")
ncpu=$(nproc)
node_milli=
case $CORES in
    node) milli=1000
          node_milli=$((1000 * ncpu));;
    share) milli=$(python3 -c "import sys; print(max(1, round(1000*float(sys.argv[1]))))" "$share");;
    *) milli=$(python3 -c "import sys; v=float(sys.argv[1]); assert 0 < v <= 64; print(round(1000*v))" "$CORES" 2>/dev/null) ||
           die "BENCH_CORES must be \"node\", \"share\" or a number of cores from 0 to 64";;
esac
if [ -n "$node_milli" ]; then
    say "live: the shop's processes ran $((run_ns / 1000000)) ms and waited $((wait_ns / 1000000)) ms runnable; one virtual node of ${node_milli}m, pods limited to ${milli}m"
else
    say "live: the shop's processes ran $((run_ns / 1000000)) ms and waited $((wait_ns / 1000000)) ms runnable: a share of $share; virtual pods get ${milli}m"
fi
[ -s "$scratch/live.json" ] || { cat "$scratch/live.txt" >&2; die "the load generator wrote no report (exit $lrc)"; }
[ $lrc = 0 ] || say "live: the load generator exited $lrc (failures above 5 %?); see the table"
kill -TERM "$up_pid"
wait "$up_pid" 2>/dev/null
up_pid=

# ---- virtual --------------------------------------------------------------
sets=()
nodeopts=()
for c in productcatalogservice currencyservice shippingservice paymentservice \
         emailservice adservice recommendationservice cartservice \
         checkoutservice frontend business loadgenerator; do
    sets+=(--set "$c.resources.limits.cpu=${milli}m")
    # On one node: equal requests (equal weights), small enough that the
    # 12 pods fit on the node (the scheduler places requests).
    [ -n "$node_milli" ] && sets+=(--set "$c.resources.requests.cpu=1m")
done
# One process per service, as live: no canary pods.
sets+=(--set frontend.canary.enabled=false --set business.canary.enabled=false)
[ -n "$node_milli" ] && nodeopts=(--node-cpu --nodes "1x${node_milli}m")
say "virtual: meshsim run --users $USERS --spawn-rate $SPAWN --duration ${SECS}s --no-mesh --link $LINK ${nodeopts[*]} --seed 1..$SEEDS"
sims=()
for seed in $(seq 1 "$SEEDS"); do
    TMPDIR=$scratch "$meshsim" run --users "$USERS" --spawn-rate "$SPAWN" --duration "${SECS}s" \
        --seed "$seed" --json --quiet --no-mesh --profile "$PROFILE" --link "$LINK" \
        "${nodeopts[@]}" "${sets[@]}" >"$scratch/sim$seed.json" 2>"$scratch/sim.err" ||
        { cat "$scratch/sim.err" >&2; die "meshsim run --seed $seed failed"; }
    sims+=("$scratch/sim$seed.json")
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- the table ------------------------------------------------------------
mkdir -p "$results"
python3 - "$scratch/live.json" "$(IFS=,; echo "${sims[*]}")" "$results/simlive-latest.md" \
    "$when" "$machine" "$USERS" "$SPAWN" "$SECS" "$base_profile" "$LINK" \
    "$load_before" "$load_live" "$load_after" "$share" "$milli" "$run_ns" "$wait_ns" "$node_milli" "$ncpu" "$probe_line" "$WARMUP" "$link_from" <<'EOF'
import json, sys
live_p, sim_ps, out_p, when, machine, users, spawn, secs, prof, link, lb, ll, la, share, milli, run_ns, wait_ns, node_milli, ncpu, probe, warm, link_from = sys.argv[1:]
live = json.load(open(live_p))
sims = [json.load(open(p)) for p in sim_ps.split(",")]
def median(v):
    v = sorted(v)
    n = len(v)
    return v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2
def lroute(method, name):
    for r in live["routes"]:
        if r["method"] == method and r["name"] == name:
            return r
    return None
def sroute(key):
    """The route over the seeds: each quantile the median of the runs'."""
    rs = [r for s in sims for r in s["routes"] if r["route"] == key]
    if len(rs) != len(sims):
        return None
    return {"p50_ms": median([r["p50_ms"] for r in rs]),
            "p99_ms": median([r["p99_ms"] for r in rs]),
            "requests": sum(r["requests"] for r in rs) // len(rs)}
sim = {"total": {k: sum(s["total"][k] for s in sims) / len(sims)
                 for k in ("requests", "rps", "errors")}}
rows, all_ok = [], True
for method, name in (("GET", "/"), ("POST", "/cart/checkout")):
    l, s = lroute(method, name), sroute(method + " " + name)
    if not l or not s:
        print("simlive_bench: no %s %s in %s" % (method, name,
              "the live report" if not l else "the simulator's report"), file=sys.stderr)
        sys.exit(2)
    for q, lk, sk in (("p50", "median_ms", "p50_ms"), ("p99", "p99_ms", "p99_ms")):
        lv, sv = l[lk], s[sk]
        ratio = sv / lv if lv > 0 else float("inf")
        ok = abs(ratio - 1) <= 0.25
        all_ok &= ok
        rows.append((method + " " + name, q, lv, sv, ratio, ok, l["requests"], s["requests"]))
tot_l, tot_s = live["total"], sim["total"]
lcpu = live.get("cpu", {})
lg_us = lcpu.get("total_ns", 0) / tot_l["requests"] / 1e3 if tot_l["requests"] else 0
lines = []
lines.append("Measured %s on %s; load average %s before, %s after the live run, %s after the simulation." % (when, machine, lb, ll, la))
lines.append("")
lines.append("Load: %s users of the load generator (Locust mix, 1-10 s think time), %s started per second. "
             "Live: %s s after a %s s warm-up of 20 users (not measured): %d requests (%.1f req/s), %d failures. "
             "Virtual: %s s, %d seeds (each figure is the median of the seeds' runs): %d requests a run "
             "(%.1f req/s; it counts the GET a redirect leads to as a request of its own, Locust folds it "
             "into the POST), %d errors. "
             "Profile: `%s`, `--link %s`, `--no-mesh`, no canaries, %s. "
             "The live load generator used %.0f us of CPU per request in this run; the shop's processes "
             "ran %.2f s and waited %.2f s runnable (a share of %s of a CPU when ready to run)." % (
             users, spawn, secs, warm, tot_l["requests"], tot_l["rps"], tot_l["failures"],
             secs, len(sims), tot_s["requests"], tot_s["rps"], tot_s["errors"], prof.replace(prof.split(",")[0], prof.split(",")[0].split("/")[-1]), link,
             ("every pod on one node of %sm (`--node-cpu`, %s vCPU), CPU limits %sm, equal requests"
              % (node_milli, ncpu, milli)) if node_milli else
             ("every chart's CPU limit %sm (the load generator's too), no node contention" % milli),
             lg_us, int(run_ns) / 1e9, int(wait_ns) / 1e9, share))
if probe and link_from == "sched":
    lines[-1] += (" The link: its jitter is the live shop's own wake-ups in this run (`perf sched` "
                  "record, read by `meshsim calibrate --link-only --wakeups`): %s." % probe)
elif probe:
    lines[-1] += (" The link: its jitter measured beside the live load by `meshsim calibrate "
                  "--link-only` (a message to a sleeping process on loopback TCP), one way: %s." % probe)
lines.append("")
lines.append("| route | quantile | live ms | virtual ms | virtual/live | within 25 % | samples live / virtual |")
lines.append("|---|---|---:|---:|---:|---|---:|")
for r in rows:
    lines.append("| %s | %s | %.2f | %.2f | %.2f | %s | %d / %d |" % (r[0], r[1], r[2], r[3], r[4], "yes" if r[5] else "**no**", r[6], r[7]))
text = "\n".join(lines) + "\n"
open(out_p, "w").write(text)
print(text)
sys.exit(0 if all_ok else 3)
EOF
prc=$?
[ $prc = 2 ] && exit 2
if [ "${BENCH_NO_DOC:-0}" != 1 ] && [ -w "$srcdir/BENCHMARKS.md" ]; then
    python3 - "$srcdir/BENCHMARKS.md" "$results/simlive-latest.md" <<'EOF'
import sys
doc_p, res_p = sys.argv[1:]
doc = open(doc_p).read()
begin, end = "<!-- simlive:begin (generated by bench/simlive_bench.sh) -->", "<!-- simlive:end -->"
if begin in doc and end in doc:
    head, rest = doc.split(begin, 1)
    _, tail = rest.split(end, 1)
    open(doc_p, "w").write(head + begin + "\n" + open(res_p).read() + end + tail)
EOF
fi
if [ $prc = 3 ]; then
    say "not every figure is within 25 % (see the table)"
    [ "${BENCH_ENFORCE:-0}" = 1 ] && exit 1
fi
exit 0
