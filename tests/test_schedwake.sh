#!/bin/sh
# `meshsim calibrate --link-only --wakeups`: the link's jitter from a
# scheduler's record (tools/schedwake.h). A record written here with known
# waits gives the bands and quantiles it should, and the simulator loads
# the profile; perf's own output (a record taken here of the link probe's
# processes, when perf can record the scheduler) reads without error; bad
# records and bad usage are refused, the file, line and field named.
B=${BUILDDIR:-.}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
# replays PROFILE WHAT: the simulator loads PROFILE and a short run of it
# is byte for byte the same twice.
replays() {
  for i in 1 2; do
    "$B/meshsim" run --profile "$1" --link profile --duration 5s --users 20 --json \
      --quiet --no-mesh >"$tmp/run$i.json" 2>"$tmp/err" || fail "run with $2: $(cat "$tmp/err")"
  done
  cmp -s "$tmp/run1.json" "$tmp/run2.json" || fail "runs with $2 differ"
}

# A record as `perf sched timehist --state` prints it: perf's header, then
# frontend (tid 100) asleep 50 us before each of 300 runs and waiting 1..300
# us for a CPU; currencyservice (tid 200) asleep 5 ms before 250 runs and
# waiting 40 us; each task's first run (its sleep before it unknown) and a
# run after a preemption (R) are not wake-ups; nor are other tasks, the
# idle task, a task perf lost, and -w's event lines.
python3 - "$tmp/rec.txt" <<'PY'
import sys
out = open(sys.argv[1], "w")
out.write("Samples do not have callchains.\n")
out.write("           time    cpu  task name                       wait time  sch delay   run time  state\n")
out.write("                        [tid/pid]                          (msec)     (msec)     (msec)       \n")
out.write("--------------- ------  ------------------------------  ---------  ---------  ---------  -----\n")
t = 1000.0
def run(name, wait_us, delay_us, state, cpu=0):
    global t
    t += 0.001
    out.write("%15.6f [%04d]  %-30s  %9.3f  %9.3f  %9.3f      %s \n" % (
        t, cpu, name, (wait_us) / 1000.0, delay_us / 1000.0, 0.010, state))
run("frontend[100/100]", 0, 0, "S")            # first run: unknown before
run("currencyservice[200/200]", 0, 0, "S")
for i in range(1, 301):
    run("frontend[100/100]", 50 + i, i, "S")   # slept 50 us, waited i us
    out.write("%15.6f [0001]  swapper                                              awakened: frontend[100]\n" % t)
run("frontend[100/100]", 20, 20, "R")          # a wake-up, then preempted ...
run("frontend[100/100]", 900, 900, "S")        # ... so this is no wake-up
for i in range(250):
    run("currencyservice[200/200]", 5040, 40, "S", cpu=1)
run("kworker/0:1-eve[7]", 3000, 2000, "S")
run("kworker/0:1-eve[7]", 3000, 2000, "S")     # not the shop's
out.write("%15.6f [0000]  <idle>                              0.000      0.000      0.100      I \n" % t)
out.write("%15.6f [0000]  :-1[-1/27775]                       0.000      0.000      0.222      Z \n" % t)
out.write("%15.6f [0001]  <idle>                              0.000      0.000      0.100      I \n" % t)
PY
"$B/meshsim" calibrate --link-only --wakeups "$tmp/rec.txt" \
  --base "${srcdir:-.}/data/cost-profile.json" --out "$tmp/p.json" >"$tmp/out" 2>"$tmp/err" ||
  fail "--wakeups: $(cat "$tmp/err")"
[ -s "$tmp/out" ] && fail "wrote to stdout: $(cat "$tmp/out")"
grep -q '551 wake-ups of 2 tasks' "$tmp/err" || fail "counts: $(cat "$tmp/err")"
python3 - "$tmp/p.json" <<'PY' || fail "bad jitter: $(cat "$tmp/p.json")"
import json, sys
p = json.load(open(sys.argv[1]))
bands = p["link"]["jitter"]
# 300 wake-ups after 50 us asleep (< 100: the first band), then the 250
# after 5 ms in the last; the bands between had none.
assert len(bands) == 2, bands
assert bands[0]["slept_below_us"] == 100 and "slept_below_us" not in bands[1], bands
q = dict(map(tuple, bands[0]["quantiles_us"]))
# No floor is taken off a scheduler's waits: the median of 1..300 us.
assert 149 <= q[0.5] <= 152 and q[1] == 300, q
assert all(abs(v - 40) < 1e-9 for _, v in bands[1]["quantiles_us"]), bands[1]
assert "scheduler's record" in p["comment"], p["comment"]
PY
replays "$tmp/p.json" "a recorded jitter"

# Whose wake-ups: --wakeups-of.
"$B/meshsim" calibrate --link-only --wakeups "$tmp/rec.txt" --wakeups-of currencyservice \
  --out - >/dev/null 2>"$tmp/err" || fail "--wakeups-of: $(cat "$tmp/err")"
grep -q '250 wake-ups of 1 tasks' "$tmp/err" || fail "--wakeups-of counts: $(cat "$tmp/err")"
"$B/meshsim" calibrate --link-only --wakeups "$tmp/rec.txt" --wakeups-of nosuch \
  --out "$tmp/none.json" >/dev/null 2>"$tmp/err"; rc=$?
[ $rc = 1 ] && grep -q '0 wake-ups of the chosen processes' "$tmp/err" ||
  fail "no chosen process: exit $rc: $(cat "$tmp/err")"
[ -e "$tmp/none.json" ] && fail "wrote a profile without wake-ups"
# stdin.
"$B/meshsim" calibrate --link-only --wakeups - --out - <"$tmp/rec.txt" >/dev/null 2>"$tmp/err" ||
  fail "--wakeups -: $(cat "$tmp/err")"

# A bad record: the file, the line and the field.
# (Line 7 is frontend's first wake-up, and every other line after it.)
awk 'NR == 31 { $7 = "12" } 1' "$tmp/rec.txt" >"$tmp/bad1.txt"
"$B/meshsim" calibrate --link-only --wakeups "$tmp/bad1.txt" --out "$tmp/x.json" >/dev/null 2>"$tmp/err"; rc=$?
[ $rc = 1 ] && grep -q "bad1.txt:31: the state: \"12\"" "$tmp/err" || fail "bad state: exit $rc: $(cat "$tmp/err")"
awk 'NR == 33 { $4 = "x.063" } 1' "$tmp/rec.txt" >"$tmp/bad2.txt"
"$B/meshsim" calibrate --link-only --wakeups "$tmp/bad2.txt" --out "$tmp/x.json" >/dev/null 2>"$tmp/err"; rc=$?
[ $rc = 1 ] && grep -q "bad2.txt:33: the wait time" "$tmp/err" || fail "bad wait: exit $rc: $(cat "$tmp/err")"
awk 'NR == 35 { $3 = "frontend[abc]" } 1' "$tmp/rec.txt" >"$tmp/bad3.txt"
"$B/meshsim" calibrate --link-only --wakeups "$tmp/bad3.txt" --out "$tmp/x.json" >/dev/null 2>"$tmp/err"; rc=$?
[ $rc = 1 ] && grep -q "bad3.txt:35: the task's id" "$tmp/err" || fail "bad id: exit $rc: $(cat "$tmp/err")"
[ -e "$tmp/x.json" ] && fail "wrote a profile from a bad record"
"$B/meshsim" calibrate --link-only --wakeups "$tmp/nonesuch.txt" >/dev/null 2>"$tmp/err"; rc=$?
[ $rc = 1 ] && grep -q "cannot open $tmp/nonesuch.txt" "$tmp/err" || fail "missing record: exit $rc: $(cat "$tmp/err")"

# Usage: exit 2.
"$B/meshsim" calibrate --wakeups "$tmp/rec.txt" >/dev/null 2>"$tmp/err"; rc=$?
[ $rc = 2 ] && grep -q -- "--wakeups and --wakeups-of are for --link-only" "$tmp/err" || fail "--wakeups alone: exit $rc"
"$B/meshsim" calibrate --link-only --wakeups-of frontend >/dev/null 2>"$tmp/err"; rc=$?
[ $rc = 2 ] && grep -q -- "--wakeups-of chooses" "$tmp/err" || fail "--wakeups-of alone: exit $rc"
"$B/meshsim" calibrate --link-only --wakeups "$tmp/rec.txt" --wakeups-of 'a,,b' >/dev/null 2>"$tmp/err"; rc=$?
[ $rc = 2 ] && grep -q -- "--wakeups-of: 'a,,b'" "$tmp/err" || fail "--wakeups-of a,,b: exit $rc"
many=$(seq -s, 1 65)
"$B/meshsim" calibrate --link-only --wakeups "$tmp/rec.txt" --wakeups-of "$many" >/dev/null 2>"$tmp/err"; rc=$?
[ $rc = 2 ] && grep -q -- "--wakeups-of: 65 names; at most 64" "$tmp/err" || fail "--wakeups-of 65 names: exit $rc: $(cat "$tmp/err")"

# CPUs without idle lines, and stalls (tools/schedwake.h). CPU 0 has an
# idle line, CPU 1 none (as perf records this VM's CPU 1): cartservice's
# 200 wake-ups there (delay 0, runs of 5 ms: idle time in them) are left
# out. frontend on CPU 0: 200 wake-ups after 50 us asleep, 10 us waiting,
# running 100 us but 4 of them 3 ms (stalls), then one that ends
# preempted (R) and a 2 ms run after it (a stall of a running task). The
# stalls are far apart (100 ms), so each is a freeze of its own. The
# profile's "freezes": 5 in 19.8 ms of running (the first run, 196 + 1
# runs of 100 us): 252.525 per second of CPU, of 2-3 ms; the wake-ups'
# waits stay 10 us.
python3 - "$tmp/cpus.txt" <<'PY'
import sys
out = open(sys.argv[1], "w")
t = 2000.0
def run(name, wait_us, delay_us, run_us, state, cpu):
    global t
    t += 0.001
    out.write("%15.6f [%04d]  %-30s  %9.3f  %9.3f  %9.3f      %s \n" % (
        t, cpu, name, wait_us / 1000.0, delay_us / 1000.0, run_us / 1000.0, state))
run("frontend[100/100]", 0, 0, 100, "S", 0)
run("cartservice[300/300]", 0, 0, 10, "S", 1)
out.write("%15.6f [0000]  <idle>                              0.000      0.000      0.100      I \n" % t)
for i in range(200):
    run("frontend[100/100]", 60, 10, 3000 if i % 50 == 7 else 100, "S", 0)
    run("cartservice[300/300]", 40, 0, 5000, "S", 1)
run("frontend[100/100]", 60, 10, 100, "R", 0)
run("frontend[100/100]", 30, 30, 2000, "S", 0)
PY
"$B/meshsim" calibrate --link-only --wakeups "$tmp/cpus.txt" --out "$tmp/cpus.json" \
  >/dev/null 2>"$tmp/err" || fail "two CPUs: $(cat "$tmp/err")"
grep -q '1 of 2 CPUs have no idle lines.*their 200 wake-ups are left out, 201 read' "$tmp/err" ||
  fail "CPU without idle lines: $(cat "$tmp/err")"
grep -q 'stalls (runs of 1.5 ms or more[^)]*): 5, 252.53 per second.*(4 began a wake-up.s run, 1 hit a running task); median 3000 us, largest 3000' "$tmp/err" ||
  fail "stalls: $(cat "$tmp/err")"
grep -q 'freezes (stalls less than 5 ms apart[^)]*): 5 in the record.s 0.4 s, 12.469 per 1000 wake-ups of the processes (401 on every CPU), 252.53 per second of their CPU; median 3000 us, largest 3000' "$tmp/err" ||
  fail "freezes: $(cat "$tmp/err")"
python3 - "$tmp/cpus.json" <<'PY' || fail "freezes in the profile: $(cat "$tmp/cpus.json")"
import json, sys
p = json.load(open(sys.argv[1]))
q = dict(map(tuple, p["link"]["jitter"][-1]["quantiles_us"]))
assert q[0.5] == 10 and q[1] == 10, q   # the waits: no stall in them
assert "stalls" not in p, p
fz = p["freezes"]
# Per wake-up of the processes on every CPU (5 of 401): a freeze stops the
# machine, whichever CPU sees it.
assert fz["per_wakeup"] == 0.012468828, fz
assert "per_cpu_second" not in fz, fz
pts = fz["quantiles_us"]
assert pts[-1] == [1, 3000] and all(2000 <= v <= 3000 for _, v in pts), fz
assert '"freezes" are the 5 runs of 1.5 ms' in p["comment"], p["comment"]
assert "merged while less than 5 ms apart: 5," in p["comment"], p["comment"]
assert "1 CPU(s) without idle lines left out" in p["comment"], p["comment"]
PY
# The simulator loads them and draws them the same way twice.
replays "$tmp/cpus.json" "freezes"
# Stalls less than 5 ms apart are one freeze, from the first's start to the
# latest end: on CPU 0 (idle lines) 150 wake-ups of 100 us, 2 ms apart,
# then runs of 3 ms ending at 1.000 and 1.004 s (the second begins 1 ms
# after the first ends: one freeze of 7 ms), and of 2 ms ending at 1.020
# (14 ms on: a freeze of its own). 2 freezes in 153 wake-ups (the runs
# after the first): 13.072 per 1000; in 15.1 ms of running (151 runs of
# 100 us): 132.45 per second of CPU.
python3 - "$tmp/fz.txt" <<'PY'
import sys
out = open(sys.argv[1], "w")
def run(t, run_us, cpu=0, name="frontend[100/100]", state="S"):
    out.write("%15.6f [%04d]  %-30s  %9.3f  %9.3f  %9.3f      %s \n" % (
        t, cpu, name, 0.060, 0.010, run_us / 1000.0, state))
out.write("%15.6f [0000]  <idle>                              0.000      0.000      0.100      I \n" % 0.5)
run(0.6, 100)
for i in range(150):
    run(0.7 + i * 0.002, 100)
run(1.000, 3000)
run(1.004, 3000)
run(1.020, 2000)
PY
"$B/meshsim" calibrate --link-only --wakeups "$tmp/fz.txt" --out "$tmp/fz.json" \
  >/dev/null 2>"$tmp/err" || fail "freezes: $(cat "$tmp/err")"
grep -q 'freezes (stalls less than 5 ms apart[^)]*): 2 in the record.s 0.5 s, 13.072 per 1000 wake-ups of the processes (153 on every CPU), 132.45 per second of their CPU; median [0-9]* us, largest 7000' "$tmp/err" ||
  fail "two stalls as one freeze: $(cat "$tmp/err")"
python3 - "$tmp/fz.json" <<'PY' || fail "merged freezes in the profile: $(cat "$tmp/fz.json")"
import json, sys
fz = json.load(open(sys.argv[1]))["freezes"]
assert fz["per_wakeup"] == 0.013071895, fz
pts = fz["quantiles_us"]
assert pts[0] == [1e-06, 2000] and pts[-1] == [1, 7000], fz
PY
"$B/meshsim" calibrate --link-only --wakeups "$tmp/cpus.txt" --wakeups-stall 0 \
  --out "$tmp/cpus0.json" >/dev/null 2>"$tmp/err" || fail "--wakeups-stall 0: $(cat "$tmp/err")"
grep -q 'stalls (runs\|freezes (' "$tmp/err" && fail "--wakeups-stall 0 counted stalls: $(cat "$tmp/err")"
python3 - "$tmp/cpus0.json" <<'PY' || fail "--wakeups-stall 0: $(cat "$tmp/cpus0.json")"
import json, sys
p = json.load(open(sys.argv[1]))
assert "freezes" not in p and "stalls" not in p, p
PY
# No CPU with idle lines: every wake-up is read (none can be told apart),
# and no run is a stall (its length may hold idle time).
grep -v '<idle>' "$tmp/cpus.txt" >"$tmp/noidle.txt"
"$B/meshsim" calibrate --link-only --wakeups "$tmp/noidle.txt" --out - >/dev/null 2>"$tmp/err" ||
  fail "no idle lines: $(cat "$tmp/err")"
grep -q 'left out' "$tmp/err" && fail "no idle lines: left wake-ups out: $(cat "$tmp/err")"
grep -q 'more: the vCPU stopped under the task): 0, ' "$tmp/err" || fail "no idle lines: stalls: $(cat "$tmp/err")"
"$B/meshsim" calibrate --link-only --wakeups "$tmp/rec.txt" --wakeups-stall 1e9 --out - \
  >/dev/null 2>"$tmp/err"; rc=$?
[ $rc = 2 ] && grep -q -- "--wakeups-stall: '1e9'" "$tmp/err" || fail "--wakeups-stall 1e9: exit $rc"
"$B/meshsim" calibrate --link-only --wakeups-stall 2 >/dev/null 2>"$tmp/err"; rc=$?
[ $rc = 2 ] && grep -q -- "--wakeups-stall is for" "$tmp/err" || fail "--wakeups-stall alone: exit $rc"
awk 'NR == 5 { $2 = "[x1]" } 1' "$tmp/cpus.txt" >"$tmp/bad4.txt"
"$B/meshsim" calibrate --link-only --wakeups "$tmp/bad4.txt" --out - >/dev/null 2>"$tmp/err"; rc=$?
[ $rc = 1 ] && grep -q "bad4.txt:5: the CPU: \"\[x1\]\"" "$tmp/err" || fail "bad CPU: exit $rc: $(cat "$tmp/err")"
awk 'NR == 6 { $1 = "2000.1.2" } 1' "$tmp/cpus.txt" >"$tmp/bad5.txt"
"$B/meshsim" calibrate --link-only --wakeups "$tmp/bad5.txt" --out - >/dev/null 2>"$tmp/err"; rc=$?
[ $rc = 1 ] && grep -q "bad5.txt:6: the time: \"2000.1.2\" is not seconds" "$tmp/err" ||
  fail "bad time: exit $rc: $(cat "$tmp/err")"

# perf's own output: a record of the link probe's processes (named
# "meshsim", 500 messages a second for 2 s), when perf can record here.
# On CPU 0: perf records no idle on some VMs' other CPUs, whose wake-ups
# are then left out (above).
if command -v perf >/dev/null 2>&1 &&
   perf record -q -e sched:sched_switch -a -o "$tmp/t.data" -- true >/dev/null 2>&1; then
  perf record -q -e sched:sched_switch -e sched:sched_wakeup -e sched:sched_wakeup_new -a \
    -o "$tmp/perf.data" -- taskset -c 0 "$B/meshsim" calibrate --link-only --link-seconds 2 --out "$tmp/probe.json" \
    --quiet >"$tmp/perf.log" 2>&1 || fail "perf record: $(cat "$tmp/perf.log")"
  perf sched timehist --state -i "$tmp/perf.data" >"$tmp/perf.txt" 2>"$tmp/perf.log" ||
    fail "perf sched timehist: $(cat "$tmp/perf.log")"
  "$B/meshsim" calibrate --link-only --wakeups "$tmp/perf.txt" --wakeups-of meshsim \
    --out "$tmp/perf.json" >/dev/null 2>"$tmp/err" || fail "perf's record: $(cat "$tmp/err")"
  n=$(sed -n 's/.*lines, \([0-9]*\) wake-ups of.*/\1/p' "$tmp/err")
  [ "${n:-0}" -ge 500 ] || fail "perf's record: only ${n:-no} wake-ups of the probe: $(cat "$tmp/err")"
  perf sched timehist --state -w -i "$tmp/perf.data" >"$tmp/perfw.txt" 2>/dev/null &&
    "$B/meshsim" calibrate --link-only --wakeups "$tmp/perfw.txt" --wakeups-of meshsim \
      --out - >/dev/null 2>"$tmp/err" || fail "perf's record with -w: $(cat "$tmp/err")"
else
  echo "perf cannot record the scheduler here: the part with perf's own output skipped"
fi
echo "ok"
