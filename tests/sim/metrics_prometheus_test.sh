#!/bin/sh
# A real Prometheus (Debian's /usr/bin/prometheus) scrapes a running
# simulation: `meshsim run --metrics-listen 127.0.0.1:0 --pace 2` serves
# /stats/prometheus on loopback while it runs; Prometheus, started here with
# a temporary configuration and TSDB, scrapes it every second; the test asks
# Prometheus's HTTP API for istio_requests_total and checks that the target
# is up, that both reporters' series arrived, and that the count grew while
# the simulation ran. Both processes are started and stopped here; the
# whole test is bounded (about 40 s, at most 60 s). Skips (77) only when
# prometheus is missing and cannot be installed with apt-get.
set -u
B=${MESHSIM_BUILDDIR:-.}
tmp=$(mktemp -d)
msim_pid= prom_pid=
cleanup() {
  [ -n "$msim_pid" ] && kill "$msim_pid" 2>/dev/null
  [ -n "$prom_pid" ] && kill "$prom_pid" 2>/dev/null
  [ -n "$msim_pid" ] && wait "$msim_pid" 2>/dev/null
  [ -n "$prom_pid" ] && wait "$prom_pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
fail() { echo "FAIL: $*"; [ -f "$tmp/prom.log" ] && tail -5 "$tmp/prom.log"; exit 1; }
command -v python3 >/dev/null 2>&1 || { echo "SKIP: python3 not found"; exit 77; }

PROM=$(command -v prometheus || echo /usr/bin/prometheus)
if [ ! -x "$PROM" ]; then
  # Debian's package; its service is not started here (we run the binary).
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive timeout 300 apt-get install -y -qq \
      --no-install-recommends prometheus >/dev/null 2>&1
  fi
  [ -x /usr/bin/prometheus ] || { echo "SKIP: prometheus not installed and not installable"; exit 77; }
  PROM=/usr/bin/prometheus
fi

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# The simulation: about 6 s of warm-up and 10 s of load at pace 2, then the
# final state for 20 s more.
"$B/meshsim" run --rate 50 --duration 20s --quiet \
  --metrics-listen 127.0.0.1:0 --pace 2 --serve-for 20s \
  >"$tmp/report.txt" 2>"$tmp/msim.err" &
msim_pid=$!
port=
i=0
while [ $i -lt 50 ] && [ -z "$port" ]; do
  port=$(sed -n 's|.*metrics at http://127\.0\.0\.1:\([0-9]*\)/metrics.*|\1|p' "$tmp/msim.err")
  [ -n "$port" ] || sleep 0.1
  i=$((i + 1))
done
[ -n "$port" ] || fail "meshsim did not say where it serves: $(cat "$tmp/msim.err")"

pport=$(free_port)
cat >"$tmp/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 900ms
scrape_configs:
  - job_name: meshsim
    metrics_path: /stats/prometheus
    static_configs:
      - targets: ["127.0.0.1:$port"]
EOF
"$PROM" --config.file="$tmp/prometheus.yml" --storage.tsdb.path="$tmp/tsdb" \
  --web.listen-address="127.0.0.1:$pport" >"$tmp/prom.log" 2>&1 &
prom_pid=$!

# Ask Prometheus once a second, at most 45 times: the frontend's request
# count as the destination sidecar reports it, the number of series per
# reporter, and the target's health.
python3 - "$pport" <<'EOF' || fail "Prometheus did not see the simulation"
import json, sys, time, urllib.parse, urllib.request
base = "http://127.0.0.1:%s/api/v1/query?query=" % sys.argv[1]
def q(expr):
    try:
        with urllib.request.urlopen(base + urllib.parse.quote(expr), timeout=2) as r:
            d = json.load(r)
    except Exception:
        return None
    if d.get("status") != "success":
        return None
    return d["data"]["result"]
seen = []
deadline = time.monotonic() + 45
while time.monotonic() < deadline:
    r = q('sum(istio_requests_total{reporter="destination",destination_app="frontend"})')
    if r:
        v = float(r[0]["value"][1])
        if not seen or v != seen[-1]:
            seen.append(v)
        if len(seen) >= 3:
            break
    time.sleep(1)
print("frontend requests seen by Prometheus over time:", seen)
if len(seen) < 2 or seen != sorted(seen) or seen[-1] <= seen[0]:
    print("the count did not grow while the simulation ran")
    sys.exit(1)
up = q('up{job="meshsim"}')
if not up or up[0]["value"][1] != "1":
    print("target not up:", up); sys.exit(1)
for rep in ("source", "destination"):
    r = q('count(istio_requests_total{reporter="%s"})' % rep)
    if not r or float(r[0]["value"][1]) < 1:
        print("no series with reporter=%s" % rep); sys.exit(1)
    print("reporter=%s: %s series" % (rep, r[0]["value"][1]))
r = q('histogram_quantile(0.99, sum by (le) (istio_request_duration_milliseconds_bucket{reporter="destination"}))')
if not r:
    print("no duration histogram"); sys.exit(1)
print("p99 over all destinations (ms):", r[0]["value"][1])
EOF
kill "$msim_pid" 2>/dev/null
wait "$msim_pid"
rc=$?
msim_pid=
# Interrupted while serving the final state: the report is still written.
[ -s "$tmp/report.txt" ] || fail "meshsim wrote no report (exit $rc)"
echo "PASS"
