# tests/sim/run_lib.sh: sourced by the shell tests of `meshsim run`.
# Sets B (the build directory), S (the source directory) and tmp (removed on
# exit); defines fail MESSAGE and run WANT-EXIT ARGS... (meshsim run --quiet
# with the source tree's charts and cost profile: stdout in $tmp/out,
# stderr in $tmp/err; fails unless the exit status is WANT-EXIT).
set -u
B=${MESHSIM_BUILDDIR:-.}
S=${MESHSIM_SRCDIR:-.}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
run() {
  want=$1; shift
  "$B/meshsim" run --quiet --charts "$S/k8s/charts" \
    --profile "$S/data/cost-profile.json" "$@" >"$tmp/out" 2>"$tmp/err"
  got=$?
  [ "$got" = "$want" ] ||
    fail "meshsim run $*: exit $got, want $want: $(tail -5 "$tmp/err") $(tail -12 "$tmp/out")"
}
