#!/bin/bash
# scripts/setup.sh — install what is missing, build, and optionally test.
#
#   scripts/setup.sh            install missing Debian packages, configure and
#                               build in build/ (programs land in build/)
#   scripts/setup.sh --test     the same, then the whole test suite:
#                               make check in build/, then make check again in
#                               a sanitizer (ASan + UBSan) build in build-san/
#   scripts/setup.sh --quick    (with --test) skip the sanitizer build
#
# Idempotent: a second run installs nothing and rebuilds only what changed.
# Needs root (or sudo) only when packages are missing.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"

want_test=0 quick=0
for a in "$@"; do
  case $a in
    --test) want_test=1 ;;
    --quick) quick=1 ;;
    -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "setup: unknown option '$a' (see --help)" >&2; exit 2 ;;
  esac
done

# Build: compilers, autotools and the libraries meshsim links.
pkgs_build="build-essential autoconf automake libtool pkg-config
  libuv1-dev libnghttp2-dev libprotobuf-c-dev protobuf-c-compiler
  libjansson-dev libssl-dev libsqlite3-dev libncurses-dev libyaml-dev check
  libhttp-parser-dev"
# Tests: real gRPC peers (python3-grpcio and stubs from protoc), HTTP/2 tools,
# clang for the fuzz targets, process tools for the end-to-end tests; for k8s/:
# Go and sprig (the chart renderer), yamllint, promtool, groovy (Jenkinsfiles),
# Node.js (schema checks; its npm comes with NodeSource's nodejs, or Debian's npm);
# perf (linux-perf): the scheduler's record `meshsim calibrate --wakeups` reads
# (tests/test_schedwake.sh, make bench-simlive).
pkgs_test="python3 python3-grpcio python3-protobuf protobuf-compiler curl
  protobuf-compiler-grpc nghttp2-client clang procps linux-perf
  golang-go golang-github-masterminds-sprig-dev golang-gopkg-yaml.v3-dev
  yamllint prometheus groovy default-jre-headless nodejs
  python3-locust"

missing=()
for p in $pkgs_build $pkgs_test; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
# Debian's nodejs comes without npm (a separate package); NodeSource's nodejs
# includes it, and conflicts with Debian's npm: ask for npm only when the
# command is missing.
if ! command -v npm >/dev/null 2>&1; then
  missing+=(npm)
fi
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo=
  if [ "$(id -u)" != 0 ]; then sudo=sudo; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

jobs=$(nproc 2>/dev/null || echo 2)
if [ ! -x configure ] || [ configure.ac -nt configure ]; then
  echo "setup: autoreconf"
  autoreconf -fi >/dev/null 2>&1 || autoreconf -fi
fi
if [ -f config.status ]; then
  echo "setup: this source tree is configured in place; run 'make distclean' here" >&2
  echo "setup: first (setup.sh builds out of tree, in build/ and build-san/)" >&2
  exit 1
fi
mkdir -p build
if [ ! -f build/Makefile ] || [ configure -nt build/config.status ]; then
  echo "setup: configure (build/)"
  (cd build && ../configure -q)
fi
echo "setup: build"
make -s -C build -j"$jobs"

# On a failed check, print the failing tests' logs so CI output says why.
show_failures() {
  echo "setup: tests failed in $1/; their logs follow" >&2
  [ -f "$1/test-suite.log" ] && sed -n '1,400p' "$1/test-suite.log" >&2
}

if ((want_test)); then
  echo "setup: make check (build/)"
  make -s -C build -j"$jobs" check || { show_failures build; exit 1; }
  if ((!quick)); then
    echo "setup: make check with ASan + UBSan (build-san/)"
    mkdir -p build-san
    if [ ! -f build-san/Makefile ] || [ configure -nt build-san/config.status ]; then
      (cd build-san && ../configure -q --enable-sanitizers CFLAGS="-g -O1")
    fi
    ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
      make -s -C build-san -j"$jobs" check || { show_failures build-san; exit 1; }
  fi
fi
