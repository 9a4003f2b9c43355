#!/bin/sh
# run_locust.sh FRONTEND_URL USERS SECONDS — runs tests/locust/locustfile.py
# headless with Locust (Debian's python3-locust) against the frontend and
# fails unless requests were made and none failed.
#
#   FRONTEND_URL  http://host:port (host:port is accepted)
#   USERS         users, all spawned within the first second (-r USERS)
#   SECONDS       run time
# Environment: LOCUST (the command, default locust), LOCUST_OUT (directory
# for the CSV files; default a temporary one, removed afterwards),
# THINK_MIN/THINK_MAX (seconds, as the locustfile reads them).
# Exit: 0 with zero failures; 1 on failures or no requests; 2 on bad usage;
# 77 (automake's "skipped") when Locust is not installed.
set -u
here=$(cd "$(dirname "$0")" && pwd)
if [ $# -ne 3 ]; then
  echo "usage: $0 FRONTEND_URL USERS SECONDS" >&2
  exit 2
fi
url=$1 users=$2 secs=$3
case $url in http://*|https://*) ;; *) url="http://$url" ;; esac
case $users in ''|*[!0-9]*|0) echo "$0: USERS must be a positive integer, not '$users'" >&2; exit 2 ;; esac
case $secs in ''|*[!0-9]*|0) echo "$0: SECONDS must be a positive integer, not '$secs'" >&2; exit 2 ;; esac
LOCUST=${LOCUST:-locust}
if ! command -v "$LOCUST" >/dev/null 2>&1; then
  echo "$0: $LOCUST not found (apt-get install python3-locust)" >&2
  exit 77
fi

if [ -n "${LOCUST_OUT:-}" ]; then
  out=$LOCUST_OUT
  mkdir -p "$out"
else
  out=$(mktemp -d)
  trap 'rm -rf "$out"' EXIT
fi

# --exit-code-on-error 1 makes Locust itself fail on any failed request;
# the CSV check below also catches a run that made no request at all.
"$LOCUST" -f "$here/locustfile.py" --headless -u "$users" -r "$users" \
  -t "${secs}s" --host "$url" --csv "$out/locust" --only-summary \
  --stop-timeout 10 --exit-code-on-error 1 --loglevel WARNING
rc=$?

# Locust's interpreter (the script's shebang) reads its own CSV.
py=$(head -1 "$(command -v "$LOCUST")" | sed -n 's/^#! *//p')
[ -x "${py%% *}" ] || py=python3
$py - "$out/locust_stats.csv" "$out/locust_failures.csv" "$rc" <<'EOF'
import csv, sys
stats, failures, rc = sys.argv[1], sys.argv[2], int(sys.argv[3])
try:
    rows = list(csv.DictReader(open(stats)))
except OSError as e:
    sys.exit("run_locust: no statistics (%s); locust exited %d" % (e, rc))
agg = [r for r in rows if r["Name"] == "Aggregated"]
if not agg:
    sys.exit("run_locust: no Aggregated row in %s" % stats)
req, fail = int(agg[0]["Request Count"]), int(agg[0]["Failure Count"])
for r in rows:
    num = lambda v: "%.0f" % float(v) if v not in ("", "N/A", None) else "-"
    print("run_locust: %-6s %-22s %6s requests %4s failures  median %s ms  p95 %s ms"
          % (r["Type"], r["Name"], r["Request Count"], r["Failure Count"],
             num(r["Median Response Time"]), num(r.get("95%"))))
if fail:
    try:
        for r in csv.DictReader(open(failures)):
            print("run_locust: failure: %s %s: %s (%s times)"
                  % (r["Method"], r["Name"], r["Error"], r["Occurrences"]))
    except OSError:
        pass
if req == 0:
    sys.exit("run_locust: FAIL: no request was made")
if fail or rc != 0:
    sys.exit("run_locust: FAIL: %d of %d requests failed (locust exit %d)" % (fail, req, rc))
print("run_locust: PASS: %d requests, 0 failures" % req)
EOF
