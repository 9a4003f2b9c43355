#!/bin/sh
# The Jenkins pipelines parse (Debian's groovy, Jenkins' Groovy 2.4), cover
# every service, have the stages the release process needs in the right
# order, and call k8s/deploy only in ways it accepts.
. "$(dirname "$0")/lib.sh"
need groovy groovy
java_home
J=$K/jenkins
build_render

# The Job DSL script embedded in casc.yaml, parsed like the files.
"$RENDER" --yaml2json "$J/casc.yaml" > "$tmp/casc.json"
"${PYTHON3:-python3}" -c '
import json, sys
casc = json.load(open(sys.argv[1]))[0]["object"]
assert casc["unclassified"]["globalLibraries"]["libraries"][0]["name"] == "meshsim"
open(sys.argv[2], "w").write(casc["jobs"][0]["script"])
' "$tmp/casc.json" "$tmp/casc-seed.groovy" || fail "casc.yaml: no meshsim library or seed job"
timeout 120 groovy "$K/test/jenkins-parse.groovy" "$J"/vars/*.groovy "$J"/pipelines/*.Jenkinsfile \
  "$J/jobs.groovy" "$tmp/casc-seed.groovy" > "$tmp/parse" 2>&1 || { cat "$tmp/parse"; fail "Groovy parse errors"; }
[ "$(grep -c '^ok ' "$tmp/parse")" -ge 18 ] || { cat "$tmp/parse"; fail "not every file was parsed"; }

# One pipeline per service, canary pipelines for the two canaried services,
# and the Job DSL list matching the charts.
for c in $(charts); do
  f=$J/pipelines/$c.Jenkinsfile
  [ -f "$f" ] || fail "no pipeline for $c"
  grep -q "^meshsimService(service: '$c')$" "$f" || fail "$f does not run meshsimService for $c"
  grep -q "'$c'" "$J/jobs.groovy" || fail "jobs.groovy has no job for $c"
done
for c in frontend business; do
  grep -q "^meshsimCanary(service: '$c')$" "$J/pipelines/$c-canary.Jenkinsfile" || fail "no canary pipeline for $c"
done
[ "$(ls "$J"/pipelines/*.Jenkinsfile | wc -l)" = 14 ] || fail "want 14 pipelines (12 services, 2 canaries)"
for v in services canary; do grep -q "listView('meshsim/$v')" "$J/jobs.groovy" || fail "no view meshsim/$v"; done

# Stages, in order.
stages() { sed -n "s/^ *stage('\\([^']*\\)').*/\\1/p" "$1" | tr '\n' '|'; }
[ "$(stages "$J/vars/meshsimService.groovy")" = "Clean workspace|Checkout|Build and test|Image|Deploy|Smoke|" ] ||
  fail "service pipeline stages: $(stages "$J/vars/meshsimService.groovy")"
[ "$(stages "$J/vars/meshsimCanary.groovy")" = "Clean workspace|Checkout|Build and test|Image|Simulator gate|Canary deploy|Traffic weights|Promote|Rollback|Smoke|" ] ||
  fail "canary pipeline stages: $(stages "$J/vars/meshsimCanary.groovy")"
grep -q "make -C build .*check" "$J/vars/meshsimService.groovy" || fail "the service pipeline does not run make check"
grep -q 'build/meshsim run .*"\$SCENARIO"' "$J/vars/meshsimCanary.groovy" || fail "no simulator gate"

# Every k8s/deploy call the pipelines make is one k8s/deploy accepts: run
# each with --dry-run, the pipeline's variables set to sample values.
"${PYTHON3:-python3}" - "$J"/vars/*.groovy > "$tmp/calls" <<'PY'
import re, sys
for f in sys.argv[1:]:
    for line in open(f):
        m = re.search(r"sh '(k8s/deploy[^']*)'", line) or re.search(r'sh "(k8s/deploy(?:[^"\\]|\\.)*)"', line)
        if m:
            call = m.group(1).replace('\\"', '"').replace("\\$", "$").replace("${stable}", "--tag 1.0")
            print(call.replace("k8s/deploy", "k8s/deploy --dry-run", 1))
PY
[ "$(wc -l < "$tmp/calls")" -ge 10 ] || fail "found too few k8s/deploy calls: $(cat "$tmp/calls")"
while IFS= read -r call; do
  (cd "$S" && SERVICE=frontend TAG=1.0 CTAG=1.1 REGISTRY=reg.example STABLE_W=90 CANARY_W=10 bash -c "$call") > "$tmp/out" 2>&1 ||
    { cat "$tmp/out"; fail "k8s/deploy refuses the pipeline's call: $call"; }
done < "$tmp/calls"
echo "jenkins: $(grep -c '^ok ' "$tmp/parse") Groovy files parse; $(wc -l < "$tmp/calls") k8s/deploy calls accepted"
