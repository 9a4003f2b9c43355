#!/bin/bash
# grpc_bench.sh BUILDDIR SRCDIR -- the body of `make bench` (never run by
# `make check`).
#
# Measures unary gRPC throughput and latency on loopback with h2load:
#   ours  CurrencyService/Convert          (BUILDDIR/currencyservice)
#   ours  ProductCatalogService/ListProducts (BUILDDIR/productcatalogservice)
#   ref   CurrencyService/Convert          (bench/grpcjs, @grpc/grpc-js)
# at 1, 16 and 64 concurrent streams on one connection. Every server is
# pinned to one core (BENCH_SERVER_CPU, default 0) and h2load to another
# (BENCH_CLIENT_CPU, default 1). The reference runs in the same invocation,
# interleaved with ours at each concurrency, because absolute numbers on a
# shared machine move from run to run; the ratio is what we keep.
#
# Writes SRCDIR/bench/results/latest.md and replaces the generated section
# of SRCDIR/BENCHMARKS.md. Installs nothing.
#
# Environment:
#   BENCH_SECONDS   measured seconds per run (default 10)
#   BENCH_WARMUP    warm-up seconds before each run (default 2)
#   BENCH_STREAMS   concurrencies (default "1 16 64")
#   BENCH_REPEAT    rounds of the whole set (default 1); each row reports
#                   the run with the median req/s and the range seen
#   BENCH_SERVER_CPU, BENCH_CLIENT_CPU   cores for servers and for h2load
#   BENCH_RESULTS   results directory (default SRCDIR/bench/results)
#   BENCH_NO_DOC=1  do not touch BENCHMARKS.md
#   BENCH_KEEP=1    keep the scratch directory (h2load output and logs)
#   BENCH_ENFORCE=1 exit 1 when the bar (>= 3x reference req/s at 16
#                   streams, lower p99) is not met
set -u

me=grpc_bench
say() { printf '%s: %s\n' "$me" "$*" >&2; }
die() { say "$*"; exit 2; }

builddir=$(cd "${1:-.}" && pwd) || die "no build directory ${1:-.}"
srcdir=$(cd "${2:-$(dirname "$0")/..}" && pwd) || die "no source directory ${2:-}"

SECS=${BENCH_SECONDS:-10}
WARM=${BENCH_WARMUP:-2}
REPEAT=${BENCH_REPEAT:-1}
STREAMS=${BENCH_STREAMS:-1 16 64}
SCPU=${BENCH_SERVER_CPU:-0}
CCPU=${BENCH_CLIENT_CPU:-1}
results=${BENCH_RESULTS:-$srcdir/bench/results}
util="$srcdir/bench/grpc_bench_util.py"
grpcjs_src="$srcdir/bench/grpcjs"
case $SECS in ''|*[!0-9]*) die "BENCH_SECONDS must be a whole number of seconds";; esac
case $WARM in ''|*[!0-9]*) die "BENCH_WARMUP must be a whole number of seconds";; esac
case $REPEAT in ''|0|*[!0-9]*) die "BENCH_REPEAT must be a positive whole number";; esac

# ---- tools: report everything missing at once, install nothing ----------
missing=
for t in h2load nghttp taskset timeout python3; do
    command -v "$t" >/dev/null 2>&1 || missing="$missing $t"
done
if [ -n "$missing" ]; then
    say "missing:$missing"
    say "  h2load, nghttp: Debian/Ubuntu package nghttp2-client"
    say "  taskset: util-linux; timeout: coreutils; python3: python3"
    exit 2
fi
have_node=yes
for t in node npm; do
    command -v "$t" >/dev/null 2>&1 || { have_node=; say "missing: $t (Debian: nodejs npm); the grpc-js reference will be skipped"; }
done
# A python3 that has the protobuf runtime, if any, so the bodies come from demo.proto.
py=python3
for p in python3 /usr/bin/python3; do
    if command -v "$p" >/dev/null 2>&1 && "$p" -c 'import google.protobuf' 2>/dev/null; then
        py=$p; break
    fi
done

ncpu=$(nproc)
if [ "$ncpu" -lt 2 ] || [ "$SCPU" = "$CCPU" ]; then
    say "warning: $ncpu CPU(s); server and h2load share a core, numbers will understate both servers"
    [ "$ncpu" -lt 2 ] && { SCPU=0; CCPU=0; }
fi

# ---- scratch space and cleanup -------------------------------------------
tmp=$(mktemp -d "${TMPDIR:-/tmp}/meshsim-bench.XXXXXX") || die "mktemp failed"
pids=
loadpid=
cleanup() {
    local p
    [ -n "$loadpid" ] && kill -TERM "$loadpid" 2>/dev/null
    for p in $pids; do kill -TERM "$p" 2>/dev/null; done
    for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15; do
        alive=
        for p in $pids; do kill -0 "$p" 2>/dev/null && alive=1; done
        [ -z "$alive" ] && break
        sleep 0.2
    done
    for p in $pids; do kill -KILL "$p" 2>/dev/null; done
    for p in $pids; do wait "$p" 2>/dev/null; done
    if [ "${BENCH_KEEP:-0}" = 1 ]; then say "scratch kept in $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- request bodies ------------------------------------------------------
encoding=$("$py" "$util" bodies "$srcdir/proto" "$tmp") || die "could not build the request bodies"
say "request bodies: $encoding"

# ---- servers -------------------------------------------------------------
# start NAME PORT CMD...: start a server pinned to $SCPU with PORT and
# BIND_ADDR=127.0.0.1 in its environment; remembers its pid in pid_NAME.
start() {
    local name=$1 port=$2; shift 2
    ( cd "$srcdir" && exec taskset -c "$SCPU" env PORT="$port" BIND_ADDR=127.0.0.1 "$@" ) \
        >"$tmp/$name.out" 2>&1 &
    local pid=$!
    pids="$pids $pid"
    eval "pid_$name=$pid"
}

# call NAME PORT PATH BODY OUT: one request with nghttp; the response body
# goes to OUT, the frame log to OUT.v. Succeeds when grpc-status is 0.
call() {
    local port=$2 path=$3 body=$4 out=$5
    timeout 3 nghttp -v -H 'content-type: application/grpc' -H 'te: trailers' \
        -d "$body" "http://127.0.0.1:$port$path" >"$out.v" 2>&1 || return 1
    timeout 3 nghttp -H 'content-type: application/grpc' -H 'te: trailers' \
        -d "$body" "http://127.0.0.1:$port$path" >"$out" 2>/dev/null || return 1
    grep -a -q 'grpc-status: 0' "$out.v"
}

# ready NAME PORT PATH BODY KIND: wait (at most 20 s) until the server
# answers one call with grpc-status 0, then print the decoded answer.
ready() {
    local name=$1 port=$2 path=$3 body=$4 kind=$5 pid deadline=$((SECONDS + 20))
    eval "pid=\$pid_$name"
    while [ "$SECONDS" -lt "$deadline" ]; do
        if ! kill -0 "$pid" 2>/dev/null; then
            say "$name exited before answering; its output:"; sed 's/^/  /' "$tmp/$name.out" >&2
            return 1
        fi
        if call "$name" "$port" "$path" "$body" "$tmp/$name.resp"; then
            local decoded
            decoded=$("$py" "$util" decode "$kind" "$tmp/$name.resp") || return 1
            say "$name on 127.0.0.1:$port answers $path with grpc-status 0: $decoded"
            eval "answer_$name=\$decoded"
            return 0
        fi
        sleep 0.2
    done
    say "$name did not answer $path with grpc-status 0 within 20 s; last exchange:"
    tail -n 4 "$tmp/$name.resp.v" 2>/dev/null | sed 's/^/  /' >&2
    return 1
}

convert_path=/hipstershop.CurrencyService/Convert
list_path=/hipstershop.ProductCatalogService/ListProducts
servers=
unusable=

if [ -x "$builddir/currencyservice" ]; then
    port_ours=$("$py" "$util" port)
    start ours "$port_ours" "$builddir/currencyservice"
    if ready ours "$port_ours" "$convert_path" "$tmp/convert.bin" money; then
        servers="$servers ours"
    else
        unusable="$unusable ours"
    fi
else
    say "not built: $builddir/currencyservice (run make); ours/Convert skipped"
fi

if [ -x "$builddir/productcatalogservice" ]; then
    port_cat=$("$py" "$util" port)
    start cat "$port_cat" "$builddir/productcatalogservice"
    if ready cat "$port_cat" "$list_path" "$tmp/empty.bin" products; then
        servers="$servers cat"
    else
        unusable="$unusable cat"
    fi
else
    say "not built: $builddir/productcatalogservice (run make); ours/ListProducts skipped"
fi

ref_note=
if [ -n "$have_node" ]; then
    grpcjs=$grpcjs_src
    if [ ! -d "$grpcjs/node_modules/@grpc/grpc-js" ]; then
        if [ ! -w "$grpcjs" ]; then    # e.g. a read-only distcheck tree
            cp -R "$grpcjs_src" "$tmp/grpcjs" && grpcjs=$tmp/grpcjs
        fi
        say "installing the grpc-js reference's pinned packages (npm ci in $grpcjs)"
        if ! (cd "$grpcjs" && timeout 300 npm ci --no-audit --no-fund --loglevel=error) >"$tmp/npm.out" 2>&1; then
            say "npm ci failed (offline, or no registry access?); the grpc-js reference is skipped:"
            tail -5 "$tmp/npm.out" | sed 's/^/  /' >&2
            ref_note="npm ci failed in bench/grpcjs (offline?)"
        fi
    fi
    if [ -d "$grpcjs/node_modules/@grpc/grpc-js" ]; then
        port_ref=$("$py" "$util" port)
        rates=$grpcjs_src/currency_conversion.json    # same rates as ours when it has them
        [ -f "$srcdir/data/currency_conversion.json" ] && rates=$srcdir/data/currency_conversion.json
        start ref "$port_ref" env PROTO_PATH="$srcdir/proto/demo.proto" RATES_FILE="$rates" \
            node "$grpcjs/server.js"
        if ready ref "$port_ref" "$convert_path" "$tmp/convert.bin" money; then
            servers="$servers ref"
        else
            unusable="$unusable ref"
        fi
        ref_version=$(node -p "require('$grpcjs/node_modules/@grpc/grpc-js/package.json').version" 2>/dev/null)
    fi
else
    ref_note="node/npm not installed"
fi

[ -n "$servers" ] || die "no server to measure"
if [ -n "${answer_ours:-}" ] && [ -n "${answer_ref:-}" ] && [ "$answer_ours" != "$answer_ref" ]; then
    say "warning: ours and the reference disagree on Convert(42.50 USD -> EUR): $answer_ours vs $answer_ref"
fi

# ---- measurements --------------------------------------------------------
label() {
    case $1 in
        ours) echo "meshsim currencyservice|Convert";;
        cat)  echo "meshsim productcatalogservice|ListProducts";;
        ref)  echo "grpc-js ${ref_version:-?} reference|Convert";;
    esac
}

h2cmd() {   # the h2load command line, for the record
    echo "taskset -c $CCPU h2load -c 1 -t 1 -m $2 -D $SECS --warm-up-time=$WARM -H 'content-type: application/grpc' -H 'te: trailers' -d $3 --log-file=LOG http://127.0.0.1:PORT$1"
}

# run NAME STREAMS: one measurement; appends a row to $tmp/rows.
run() {
    local name=$1 m=$2 port path body pid cpu0 cpu1 out log
    eval "port=\$port_$name; pid=\$pid_$name"
    case $name in
        cat) path=$list_path; body=$tmp/empty.bin;;
        *)   path=$convert_path; body=$tmp/convert.bin;;
    esac
    out=$tmp/$name-$m.h2load; log=$tmp/$name-$m.log
    cpu0=$("$py" "$util" cpu "$pid" 2>/dev/null || echo 0)
    times >"$tmp/times0"    # children's CPU so far: h2load's is the difference
    # In the background and waited for, so a signal reaches our traps at once.
    timeout $((SECS + WARM + 30)) taskset -c "$CCPU" h2load -c 1 -t 1 -m "$m" \
        -D "$SECS" --warm-up-time="$WARM" \
        -H 'content-type: application/grpc' -H 'te: trailers' \
        -d "$body" --log-file="$log" "http://127.0.0.1:$port$path" >"$out" 2>&1 &
    loadpid=$!
    wait "$loadpid"
    local rc=$?
    loadpid=
    times >"$tmp/times1"
    cpu1=$("$py" "$util" cpu "$pid" 2>/dev/null || echo 0)
    local rps fail st
    rps=$(awk '/^finished in/ { sub(",", "", $4); print $4 }' "$out")
    fail=$(awk '/^requests:/ { print $10 + $12 + $14 }' "$out")   # failed + errored + timeout
    st=$("$py" "$util" stats "$log" 2>/dev/null || echo "0 0 0 0 0 0")
    if [ $rc -ne 0 ] || [ -z "$rps" ]; then
        say "h2load failed on $name at $m streams (exit $rc):"; tail -5 "$out" | sed 's/^/  /' >&2
        rps=0
    fi
    # name streams req/s ok other failed p50 p90 p99 max cpu-seconds
    set -- $st
    local cpu
    cpu=$(awk -v a="$cpu0" -v b="$cpu1" 'BEGIN { printf "%.2f", b - a }')
    local ccpu
    ccpu=$(awk 'function sec(t, a) { split(t, a, /[ms]/); return a[1] * 60 + a[2] }
                FNR == 2 { c[NR == FNR] = sec($1) + sec($2) }
                END { printf "%.2f", c[0] - c[1] }' "$tmp/times0" "$tmp/times1")
    echo "$name $m $rps $1 $2 ${fail:-0} $3 $4 $5 $6 $cpu $ccpu" >>"$tmp/all"
    echo "$round $name $m $rps" >>"$tmp/rounds"
    printf '%-5s %3s streams: %10s req/s  p50 %7.3f ms  p99 %7.3f ms  failed %s  CPU s: server %s, h2load %s\n' \
        "$name" "$m" "$rps" "$(awk -v u="$3" 'BEGIN{print u/1000}')" \
        "$(awk -v u="$5" 'BEGIN{print u/1000}')" "${fail:-0}" "$cpu" "$ccpu" >&2
}

: >"$tmp/all"; : >"$tmp/rounds"
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
say "measuring ($WARM s warm-up + $SECS s per run, $REPEAT round(s)) servers:$servers, streams: $STREAMS"
for round in $(seq 1 "$REPEAT"); do
    for m in $STREAMS; do
        for s in $servers; do run "$s" "$m"; done
    done
done
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

# Each server and concurrency: the run with the median req/s (the lower
# middle one for an even count), plus the lowest and highest req/s seen.
awk '{ k = $1 " " $2; c = ++n[k]; row[k, c] = $0; r[k, c] = $3 + 0
       if (c == 1) order[++nk] = k }
     END {
       for (i = 1; i <= nk; i++) {
         k = order[i]; c = n[k]
         for (a = 1; a <= c; a++) ix[a] = a
         for (a = 2; a <= c; a++) {
           t = ix[a]; b = a - 1
           while (b >= 1 && r[k, ix[b]] > r[k, t]) { ix[b + 1] = ix[b]; b-- }
           ix[b + 1] = t
         }
         print row[k, ix[int((c + 1) / 2)]], r[k, ix[1]], r[k, ix[c]], c
       }
     }' "$tmp/all" >"$tmp/rows"

# The servers must still answer correctly after the load.
for s in $servers; do
    case $s in cat) p=$list_path; b=$tmp/empty.bin;; *) p=$convert_path; b=$tmp/convert.bin;; esac
    eval "port=\$port_$s"
    if ! call "$s" "$port" "$p" "$b" "$tmp/$s.after"; then
        say "warning: $s no longer answers with grpc-status 0 after the load"
        echo "$s" >>"$tmp/broken"
    fi
done

# ---- report --------------------------------------------------------------
cpu_model=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
[ -n "$cpu_model" ] || cpu_model=unknown
now=$(date -u '+%Y-%m-%d %H:%M UTC')
rev=$(git -C "$srcdir" rev-parse --short HEAD 2>/dev/null || echo unknown)

report() {
    echo "### Latest \`make bench\` run"
    echo
    echo "- Date: $now (source revision $rev)"
    echo "- Machine: $ncpu CPUs, $cpu_model; Linux $(uname -r); load average $load_start at the start, $load_end at the end (other tenants included); $(h2load --version 2>/dev/null | head -1)${ref_version:+; node $(node --version 2>/dev/null), @grpc/grpc-js $ref_version}"
    echo "- Command: \`make bench BENCH_SECONDS=$SECS$( [ "$REPEAT" != 1 ] && echo " BENCH_REPEAT=$REPEAT")\` (warm-up ${WARM} s$( [ "$REPEAT" != 1 ] && echo "; $REPEAT interleaved rounds, each row is the round with the median req/s")); each run is"
    echo "  \`$(h2cmd '/hipstershop.<Service>/<Method>' N BODY)\`"
    echo "  with every server pinned to core $SCPU (\`taskset -c $SCPU\`), one connection and N concurrent streams."
    echo "- Request bodies: Convert = CurrencyConversionRequest{from: 42.50 USD, to_code: EUR} ($(stat -c %s "$tmp/convert.bin") bytes framed), ListProducts = Empty; encoded by $encoding."
    echo "- Server CPU is the server's user+system time over warm-up and measurement divided by their wall time (1 core = 100 %); req/s per core = req/s ÷ that share; h2load CPU likewise for the load generator on core $CCPU. Well under 100 % for both means time went to waiting (wake-ups, other tenants of the machine), not to work."
    echo "- Checked with nghttp before and after the load: grpc-status 0 and$( [ -n "${answer_ours:-}" ] && echo " ours Convert = $answer_ours;")$( [ -n "${answer_ref:-}" ] && echo " reference Convert = $answer_ref;")$( [ -n "${answer_cat:-}" ] && echo " ListProducts = ${answer_cat%% *} …;") latency percentiles are over the per-request durations in h2load's --log-file (HTTP 200 rows)."
    [ -n "$unusable" ] && echo "- **Did not start or did not answer with grpc-status 0, not measured:$unusable**"
    [ -s "$tmp/broken" ] && echo "- **Did not answer correctly after the load: $(tr '\n' ' ' <"$tmp/broken")**"
    [ -n "$ref_note" ] && echo "- Reference not measured: $ref_note."
    echo
    echo "| server | RPC | streams | req/s | p50 ms | p90 ms | p99 ms | max ms | failed | server CPU | req/s per core | h2load CPU | req/s range (runs) |"
    echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    local name m rps _ok _other fail p50 p90 p99 max cpu ccpu lo hi runs
    while read -r name m rps _ok _other fail p50 p90 p99 max cpu ccpu lo hi runs; do
        awk -v l="$(label "$name")" -v m="$m" -v r="$rps" -v f="$fail" -v a="$p50" -v b="$p90" -v c="$p99" -v d="$max" -v cpu="$cpu" -v ccpu="$ccpu" -v lo="$lo" -v hi="$hi" -v runs="$runs" \
            -v wall="$((SECS + WARM))" \
            'BEGIN { split(l, x, "|"); u = cpu / wall
                     printf "| %s | %s | %d | %.0f | %.3f | %.3f | %.3f | %.2f | %d | %.0f %% | %s | %.0f %% | %s |\n", x[1], x[2], m, r, a/1000, b/1000, c/1000, d/1000, f, 100 * u, (u > 0 ? sprintf("%.0f", r / u) : "–"), 100 * ccpu / wall, (runs > 1 ? sprintf("%.0f–%.0f (%d)", lo, hi, runs) : "– (1)") }'
    done <"$tmp/rows"
    echo
    if grep -q '^ours ' "$tmp/rows" && grep -q '^ref ' "$tmp/rows"; then
        echo "Convert, ours vs the grpc-js reference (same run):"
        echo
        echo "| streams | ours req/s | reference req/s | ratio | ours p99 ms | reference p99 ms | p99 lower? | ratio per core (req/s ÷ server CPU) |"
        echo "|---:|---:|---:|---:|---:|---:|---|---:|"
        for m in $STREAMS; do
            awk -v m="$m" -v wall="$((SECS + WARM))" '
                $1 == "ours" && $2 == m { or = $3; op = $9; oc = $11 / wall }
                $1 == "ref"  && $2 == m { rr = $3; rp = $9; rc = $11 / wall }
                END { printf "| %d | %.0f | %.0f | %s | %.3f | %.3f | %s | %s |\n", m, or, rr,
                      (rr > 0 ? sprintf("%.2f×", or / rr) : "–"), op / 1000, rp / 1000,
                      (op < rp ? "yes" : "**no**"),
                      (rr > 0 && oc > 0 && rc > 0 ? sprintf("%.2f×", (or / oc) / (rr / rc)) : "–") }' "$tmp/rows"
        done
        if [ "$REPEAT" -gt 1 ]; then
            echo
            echo "Ratio ours/reference req/s within each round (the two ran seconds apart, so they share the machine's mood), median over $REPEAT rounds:"
            for m in $STREAMS; do
                awk -v m="$m" '
                    $3 == m && $2 == "ours" { o[$1] = $4 }
                    $3 == m && $2 == "ref"  { r[$1] = $4 }
                    END {
                      n = 0
                      for (k in o) if ((k in r) && r[k] > 0) v[++n] = o[k] / r[k]
                      for (a = 2; a <= n; a++) { t = v[a]; b = a - 1; while (b >= 1 && v[b] > t) { v[b + 1] = v[b]; b-- } v[b + 1] = t }
                      if (n == 0) exit
                      med = (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
                      s = ""; for (a = 1; a <= n; a++) s = s sprintf("%s%.2f×", a > 1 ? ", " : "", v[a])
                      printf "- %d streams: median %.2f× (rounds, sorted: %s)\n", m, med, s
                    }' "$tmp/rounds"
            done
        fi
        echo
        awk '
            $1 == "ours" && $2 == 16 { or = $3; op = $9; seen++ }
            $1 == "ref"  && $2 == 16 { rr = $3; rp = $9; seen++ }
            END {
                if (seen < 2 || rr <= 0) { print "Bar not evaluated: no 16-stream run for both servers."; exit }
                ratio = or / rr
                bar = (ratio >= 3 && op < rp)
                printf "Bar (≥ 3× the reference req/s at 16 streams on one core, lower p99): **%s** (%.2f×, p99 %.3f vs %.3f ms). ", (bar ? "met" : "NOT met"), ratio, op/1000, rp/1000
                printf "Aim (ANCHORS.md, ≥ 10×): %s.\n", ((ratio >= 10 && op < rp) ? "met" : "not met")
            }' "$tmp/rows"
    else
        echo "No ratio: the run did not include both ours and the reference for Convert."
    fi
}

mkdir -p "$results" || die "cannot create $results"
report >"$results/latest.md"
cat "$results/latest.md"

# BENCHMARKS.md keeps the last complete comparison: a run without ours or
# without the reference only goes to latest.md.
if [ "${BENCH_NO_DOC:-0}" != 1 ] && ! { grep -q '^ours ' "$tmp/rows" && grep -q '^ref ' "$tmp/rows"; }; then
    say "not updating BENCHMARKS.md: this run lacks ours or the reference (see $results/latest.md)"
elif [ "${BENCH_NO_DOC:-0}" != 1 ]; then
    doc=$srcdir/BENCHMARKS.md
    begin='<!-- make-bench: begin (generated by bench/grpc_bench.sh, do not edit) -->'
    end='<!-- make-bench: end -->'
    if [ -f "$doc" ] && grep -qF "$begin" "$doc" && grep -qF "$end" "$doc"; then
        awk -v b="$begin" -v e="$end" -v f="$results/latest.md" '
            $0 == b { print; while ((getline l < f) > 0) print l; skip = 1; next }
            $0 == e { skip = 0 }
            !skip' "$doc" >"$tmp/doc" && cat "$tmp/doc" >"$doc"
    else
        { [ -f "$doc" ] && echo; echo "$begin"; cat "$results/latest.md"; echo "$end"; } >>"$doc"
    fi
    say "updated $doc and $results/latest.md"
fi

if [ -n "$unusable" ] || [ -s "$tmp/broken" ]; then
    say "failed: did not start or answer correctly:$unusable $(cat "$tmp/broken" 2>/dev/null | tr '\n' ' ')"
    exit 1
fi
if [ "${BENCH_ENFORCE:-0}" = 1 ] && ! grep -q 'Bar .*\*\*met\*\*' "$results/latest.md"; then
    say "the bar is not met"
    exit 1
fi
exit 0
