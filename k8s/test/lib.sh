# Sourced by the k8s/test/*.sh tests: source and build trees, a temporary
# directory removed on exit, and the tools the tests share (built or installed
# once into the build tree, under a lock, since make check runs tests in parallel).
set -eu
S=${MESHSIM_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
B=${MESHSIM_BUILDDIR:-$S}
K=$S/k8s
T=$B/k8s/.test-cache  # the render binary, Go's build cache (git-ignored)
mkdir -p "$T"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/k8s-test.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }
need() { command -v "$1" >/dev/null 2>&1 || fail "$1 not found (scripts/setup.sh installs it: $2)"; }

# These tests check YAML, JSON, Groovy and shell, not our C code: the
# sanitizer pass of the test suite (a build configured with
# --enable-sanitizers) has nothing to add to them, and they are slow.
if grep -q '^SAN_CFLAGS = -f' "$B/Makefile" 2>/dev/null; then
  skip "sanitizer build: the k8s checks run in the plain build"
fi

# The twelve service charts (every chart but the library).
charts() {
  for c in "$K"/charts/*/Chart.yaml; do
    d=$(dirname "$c"); n=$(basename "$d")
    [ "$n" = common ] || echo "$n"
  done
}
# A top-level scalar of a chart's values.yaml (plain layout: "key: value").
value() { sed -n "s/^$2: *\\([^ #]*\\).*/\\1/p" "$K/charts/$1/values.yaml" | tr -d '"'; }

# k8s/test/render, built with Debian's Go packages in GOPATH mode; rebuilt
# only when its source changes.
RENDER=$T/render
build_render() {
  need go golang-go
  (
    flock 9
    if [ ! -x "$RENDER" ] || [ "$K/test/render/main.go" -nt "$RENDER" ]; then
      # Go's own cache (~/.cache/go-build) is shared by build/ and build-san/;
      # without a home, one in the build tree.
      gocache=${GOCACHE:-}
      [ -n "$gocache" ] || [ -n "${HOME:-}${XDG_CACHE_HOME:-}" ] || gocache=$T/gocache
      env GO111MODULE=off GOPATH=/usr/share/gocode ${gocache:+GOCACHE="$gocache"} GOFLAGS= \
        go build -o "$RENDER.tmp" "$K/test/render/main.go" && mv -f "$RENDER.tmp" "$RENDER"
    fi
  ) 9>"$T/render.lock"
  [ -x "$RENDER" ] || fail "could not build $RENDER"
}
# Render chart $1 into its own namespace; further arguments go to render.
render() {
  c=$1; shift
  "$RENDER" -n "$(value "$c" namespace)" "$@" "$K/charts/$c"
}

# The npm schema packages, installed with `npm ci` from the committed lock
# into the build tree ($T/npm; the source tree stays untouched, as make
# distcheck's read-only one requires) when missing or out of date. Node
# resolves packages next to the script, so validate.mjs is run from there:
# use $VALIDATE.
VALIDATE=$T/npm/validate.mjs
npm_ci() {
  need node nodejs
  need npm npm
  (
    flock 9
    mkdir -p "$T/npm"
    stamp=$T/npm/node_modules/.meshsim-lock
    if ! cmp -s "$K/test/package-lock.json" "$stamp" 2>/dev/null; then
      echo "npm ci in $T/npm"
      cp "$K/test/package.json" "$K/test/package-lock.json" "$T/npm/"
      (cd "$T/npm" && timeout 300 npm ci --no-audit --no-fund --loglevel=error) >&2
      cp "$K/test/package-lock.json" "$stamp"
    fi
    cp "$K/test/validate.mjs" "$VALIDATE.tmp" && mv -f "$VALIDATE.tmp" "$VALIDATE"
  ) 9>"$T/npm.lock"
}

java_home() {
  if [ -z "${JAVA_HOME:-}" ] || [ ! -x "$JAVA_HOME/bin/java" ]; then
    if [ -x /usr/lib/jvm/default-java/bin/java ]; then JAVA_HOME=/usr/lib/jvm/default-java
    else JAVA_HOME=$(dirname "$(dirname "$(readlink -f "$(command -v java)")")"); fi
    export JAVA_HOME
  fi
}
