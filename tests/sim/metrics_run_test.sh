#!/bin/sh
# Istio's metrics of `meshsim run`: a run at 50 requests/s for 30 virtual
# seconds with --metrics-db and --metrics-out. Checks that the report is
# byte-identical with and without metrics; that `promtool check metrics`
# accepts the exposition; that the exposition is consistent (both
# reporters, cumulative buckets ending in +Inf = _count, the frontend's
# destination count = the report's requests = the ingress gateway's source
# count, the gateway's labels, no TCP series); and that the SQLite file
# reads back (python3's sqlite3) with a snapshot every 15 s, counters that
# never go down, and `meshsim metrics --db` giving the final exposition.
set -u
B=${MESHSIM_BUILDDIR:-.}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
command -v python3 >/dev/null 2>&1 || { echo "SKIP: python3 not found"; exit 77; }

args="--rate 50 --duration 30s --seed 3 --quiet --json"
"$B/meshsim" run $args --metrics-db "$tmp/m.db" --metrics-out "$tmp/m.prom" \
  >"$tmp/with.json" 2>"$tmp/with.err" || fail "run with metrics: $(cat "$tmp/with.err")"
"$B/meshsim" run $args >"$tmp/without.json" 2>"$tmp/without.err" ||
  fail "run without metrics: $(cat "$tmp/without.err")"
cmp -s "$tmp/with.json" "$tmp/without.json" || fail "the report changed with metrics on"
[ -s "$tmp/m.prom" ] || fail "no exposition written"

# promtool: exit 0, or 3 (lint problems only) when the one problem is the
# unit of istio_request_duration_milliseconds, which is Istio's own name.
if command -v promtool >/dev/null 2>&1; then
  promtool check metrics <"$tmp/m.prom" >"$tmp/lint" 2>&1
  rc=$?
  case $rc in
    0) ;;
    3) if grep -v '^istio_request_duration_milliseconds use base unit "seconds" instead of "milliseconds"$' "$tmp/lint" | grep -q .; then
         cat "$tmp/lint"; fail "promtool found problems"
       fi ;;
    *) cat "$tmp/lint"; fail "promtool check metrics: exit $rc" ;;
  esac
  echo "promtool check metrics: exit $rc ($(wc -l <"$tmp/lint") lint line(s), Istio's metric name)"
else
  echo "promtool not found (Debian package prometheus): exposition not linted"
fi

python3 - "$tmp/m.prom" "$tmp/with.json" "$tmp/m.db" <<'EOF' || fail "exposition or database check"
import json, re, sqlite3, sys
prom, rep, dbpath = sys.argv[1:4]
lab_re = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')
names = ["reporter", "source_workload", "source_workload_namespace",
         "source_principal", "source_app", "source_version",
         "destination_workload", "destination_workload_namespace",
         "destination_principal", "destination_app", "destination_version",
         "destination_service", "destination_service_name",
         "destination_service_namespace", "request_protocol", "response_code",
         "grpc_response_status", "response_flags",
         "connection_security_policy", "source_cluster",
         "destination_cluster"]
samples = []
for line in open(prom):
    if line.startswith("#"):
        continue
    name, rest = line.split("{", 1)
    labels, value = rest.rsplit("} ", 1)
    samples.append((name, lab_re.findall(labels), float(value)))
def fail(msg):
    print(msg); sys.exit(1)
reqs = [s for s in samples if s[0] == "istio_requests_total"]
if not reqs:
    fail("no istio_requests_total")
for _, l, _ in reqs:
    if [k for k, _ in l] != names:
        fail("labels not MESH.md's, in order: %s" % [k for k, _ in l])
by = {}
for _, l, v in reqs:
    d = dict(l)
    by[d["reporter"]] = by.get(d["reporter"], 0) + v
    # Every pod is the cluster's: workloads and labels come from it.
    if d["destination_workload"] == "unknown" or d["destination_version"] not in ("stable", "canary"):
        fail("unknown destination pod: %s" % d)
    if d["reporter"] == "source" and (d["source_workload"] == "unknown" or
                                      d["source_app"] != d["source_workload"].replace("-canary", "")):
        fail("source labels: %s" % d)
    if d["source_cluster"] != "Kubernetes":
        fail("source_cluster %s" % d["source_cluster"])
    csp = d["connection_security_policy"]
    if d["reporter"] == "source" and csp != "unknown":
        fail("source reporter with policy %s" % csp)
    if d["reporter"] == "destination" and csp not in ("none", "mutual_tls"):
        fail("destination reporter with policy %s" % csp)
    if d["request_protocol"] == "grpc" and not d["grpc_response_status"].isdigit():
        fail("gRPC without a numeric grpc_response_status")
    if d["destination_service"] != "unknown" and d["destination_workload"] != "unknown" \
       and not d["destination_service"].endswith(".svc.cluster.local"):
        fail("destination_service %s" % d["destination_service"])
if not by.get("source") or not by.get("destination"):
    fail("missing a reporter: %s" % by)
# The frontend's callers are outside the mesh and come in through the
# ingress gateway: the gateway reports them (reporter="source", as Istio's
# gateway does, and never as a destination), and the frontend's sidecar names
# the gateway as their source, with its principal (mTLS).
gw = {"source_workload": "istio-ingressgateway",
      "source_workload_namespace": "istio-system",
      "source_principal": "spiffe://cluster.local/ns/istio-system/sa/istio-ingressgateway",
      "source_app": "istio-ingressgateway", "source_version": "unknown"}
def from_gw(d):
    return all(d[k] == v for k, v in gw.items())
report = json.load(open(rep))
front, gw_src = 0, 0
for _, l, v in reqs:
    d = dict(l)
    if d["destination_workload"] == "istio-ingressgateway":
        fail("the gateway as a destination: %s" % d)
    if d["reporter"] == "destination" and d["destination_app"] == "frontend":
        if not from_gw(d) or d["connection_security_policy"] != "mutual_tls":
            fail("frontend's caller is not the gateway over mTLS: %s" % d)
        front += v
    if d["source_workload"] == "istio-ingressgateway":
        if not from_gw(d) or d["destination_app"] != "frontend":
            fail("gateway labels: %s" % d)
        if d["reporter"] == "source":
            gw_src += v
    elif d["source_workload"] == "unknown":
        fail("an unknown source with the gateway on: %s" % d)
if front != report["requests"] or gw_src != report["requests"]:
    fail("frontend destination requests %d, gateway source %d, report %d"
         % (front, gw_src, report["requests"]))
if by["destination"] - front != by["source"] - gw_src:
    fail("in-mesh calls: source %d, destination %d" % (by["source"] - gw_src, by["destination"] - front))
# HTTP and gRPC only: Istio reports istio_tcp_* for TCP-proxied traffic only.
if any(n.startswith("istio_tcp_") for n, _, _ in samples):
    fail("istio_tcp_* series for HTTP/gRPC traffic")
# Histograms: cumulative buckets, +Inf = _count.
hist = {}
for name, l, v in samples:
    if name.endswith("_bucket"):
        key = (name[:-7], tuple(x for x in l if x[0] != "le"))
        hist.setdefault(key, []).append((dict(l)["le"], v))
counts = {(n[:-6], tuple(l)): v for n, l, v in samples if n.endswith("_count")}
dur_bounds = ["0.5", "1", "5", "10", "25", "50", "100", "250", "500", "1000",
              "2500", "5000", "10000", "30000", "60000", "300000", "600000",
              "1800000", "3600000", "+Inf"]
for (base, l), bs in hist.items():
    vals = [v for _, v in bs]
    if vals != sorted(vals):
        fail("%s buckets not cumulative" % base)
    if bs[-1][0] != "+Inf" or counts[(base, l)] != bs[-1][1]:
        fail("%s: +Inf bucket != _count" % base)
    if base == "istio_request_duration_milliseconds" and [b for b, _ in bs] != dur_bounds:
        fail("duration buckets %s" % [b for b, _ in bs])
print("exposition: %d samples, %d request series, source %d, destination %d"
      % (len(samples), len(reqs), by["source"], by["destination"]))

db = sqlite3.connect(dbpath)
scrapes = [r[0] for r in db.execute("SELECT t_ms FROM scrapes ORDER BY t_ms")]
if len(scrapes) < 3 or scrapes[0] != 15000 or scrapes[1] != 30000:
    fail("scrapes %s" % scrapes)
last = scrapes[-1]
rows = db.execute("""SELECT s.id, s.labels_json, v.t_ms, v.value FROM series s
    JOIN samples v ON v.series_id = s.id WHERE s.name = 'istio_requests_total'
    ORDER BY s.id, v.t_ms""").fetchall()
prev, total = {}, 0.0
for sid, lj, t, v in rows:
    if sid in prev and v < prev[sid]:
        fail("series %d went down" % sid)
    prev[sid] = v
    if list(json.loads(lj).keys()) != names:
        fail("labels_json keys %s" % list(json.loads(lj).keys()))
total = sum(prev.values())
if total != by["source"] + by["destination"]:
    fail("database total %g, exposition %g" % (total, by["source"] + by["destination"]))
meta = dict(db.execute("SELECT key, value FROM meta"))
if meta.get("seed") != "3" or meta.get("interval_ms") != "15000":
    fail("meta %s" % meta)
print("database: scrapes at %s ms, %d series" % (scrapes,
      db.execute("SELECT count(*) FROM series").fetchone()[0]))
EOF

# meshsim metrics reads the database back.
"$B/meshsim" metrics --db "$tmp/m.db" >"$tmp/db.prom" || fail "meshsim metrics --db"
cmp -s "$tmp/db.prom" "$tmp/m.prom" || fail "meshsim metrics --db differs from --metrics-out"
"$B/meshsim" metrics --db "$tmp/m.db" --at 15s --match istio_requests_total >"$tmp/at15" ||
  fail "meshsim metrics --at 15s"
grep -q '^istio_requests_total{' "$tmp/at15" || fail "--at 15s: no istio_requests_total"
grep -q '_bucket' "$tmp/at15" && fail "--match let other metrics through"
cmp -s "$tmp/at15" "$tmp/db.prom" && fail "--at 15s gave the final values"
"$B/meshsim" metrics --db "$tmp/m.db" --match nope >/dev/null 2>&1
[ $? = 2 ] || fail "--match nope should be bad usage"
"$B/meshsim" metrics --db "$tmp/with.json" >/dev/null 2>&1
[ $? = 1 ] || fail "a JSON file read as a database"
"$B/meshsim" run --rate 5 --duration 5s --pace 2 >/dev/null 2>&1
[ $? = 2 ] || fail "--pace without --metrics-listen should be bad usage"

# meshsim metrics --listen serves the stored run; the scrape is the same text.
"$B/meshsim" metrics --db "$tmp/m.db" --listen 127.0.0.1:0 --serve-for 10s 2>"$tmp/serve.err" &
spid=$!
port=
i=0
while [ $i -lt 50 ] && [ -z "$port" ]; do
  port=$(sed -n 's|.*serving at http://127\.0\.0\.1:\([0-9]*\)/metrics.*|\1|p' "$tmp/serve.err")
  [ -n "$port" ] || sleep 0.1
  i=$((i + 1))
done
[ -n "$port" ] || { kill $spid; fail "meshsim metrics --listen: $(cat "$tmp/serve.err")"; }
python3 - "$port" "$tmp/db.prom" <<'EOF2'
import sys, urllib.request
with urllib.request.urlopen("http://127.0.0.1:%s/stats/prometheus" % sys.argv[1], timeout=5) as r:
    ct = r.headers["Content-Type"]
    body = r.read()
if ct != "text/plain; version=0.0.4; charset=utf-8":
    print("Content-Type", ct); sys.exit(1)
if body != open(sys.argv[2], "rb").read():
    print("served text differs from meshsim metrics --db"); sys.exit(1)
EOF2
src=$?
kill $spid 2>/dev/null
wait $spid
[ $src = 0 ] || fail "scraping meshsim metrics --listen"
echo "PASS"
