#!/bin/sh
# fuzz/run.sh SRCDIR TARGET... — builds libFuzzer targets with clang in
# SRCDIR/build-fuzz and runs each for $FUZZ_SECONDS (default 60) seconds.
# New interesting inputs go to build-fuzz/corpus-new/TARGET; crashes to
# build-fuzz/crashes/. Exits non-zero if any target crashed.
set -eu
srcdir=$(cd "$1" && pwd); shift
secs=${FUZZ_SECONDS:-60}
bdir=$srcdir/build-fuzz
mkdir -p "$bdir"
cd "$bdir"
src=$srcdir
if [ -f "$srcdir/config.status" ]; then
  # A source tree configured in place cannot host another (VPATH) build:
  # build from a pristine copy of the tracked and new, unignored files.
  src=$bdir/src
  mkdir -p "$src"
  (cd "$srcdir" && git ls-files -co --exclude-standard -z) |
    (cd "$srcdir" && xargs -0 cp --parents -t "$src" 2>/dev/null) || true
  [ -x "$src/configure" ] || (cd "$src" && autoreconf -fi >/dev/null 2>&1)
fi
if [ ! -f Makefile ]; then
  "$src/configure" -q CC=clang --enable-fuzzing --enable-sanitizers \
    CFLAGS="-g -O1 -fsanitize=fuzzer-no-link"
fi
targets=
for t in "$@"; do targets="$targets fuzz/${t}_fuzzer"; done
make -s -j"$(nproc)" $targets
status=0
mkdir -p crashes
for t in "$@"; do
  mkdir -p "corpus-new/$t"
  echo "fuzz: $t for ${secs}s"
  # A target's dictionary (keys and values its parser knows), if it has one.
  dict=
  if [ -f "$srcdir/fuzz/$t.dict" ]; then dict="-dict=$srcdir/fuzz/$t.dict"; fi
  if ! "./fuzz/${t}_fuzzer" -max_total_time="$secs" -print_final_stats=1 $dict \
      -artifact_prefix="crashes/$t-" "corpus-new/$t" "$srcdir/fuzz/corpus/$t" \
      > "fuzz-$t.log" 2>&1; then
    echo "fuzz: $t FAILED (see $bdir/fuzz-$t.log)"; tail -30 "fuzz-$t.log"; status=1
  else
    grep -E 'stat::number_of_executed_units|cov:' "fuzz-$t.log" | tail -2
  fi
done
exit $status
