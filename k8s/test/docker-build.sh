#!/bin/sh
# The build stage of one service's Dockerfile, run for real: its RUN steps
# after `COPY . .`, in a clean copy of the source tree (what the build context
# holds), must produce the binary the image ships; and every shared library
# the binary needs must come from a package the run stage installs (or the
# base image's own). No container engine runs here, so this stands in for
# `docker build`; the package-install step is scripts/setup.sh's job.
. "$(dirname "$0")/lib.sh"
if grep -q '^SAN_CFLAGS = -f' "$B/Makefile" 2>/dev/null; then
  skip "sanitizer build: the image build is checked in the plain build"
fi
svc=
for c in currencyservice shippingservice paymentservice productcatalogservice emailservice adservice recommendationservice \
         cartservice checkoutservice frontend business loadgenerator; do
  if grep -q "^$c\$(EXEEXT):" "$B/Makefile" 2>/dev/null; then svc=$c; break; fi
done
[ -n "$svc" ] || skip "no service binary is defined in the build yet"
f=$K/docker/$svc.Dockerfile

# The build context: the sources as git sees them (tracked and new, minus
# ignored files, as .dockerignore keeps out), or a plain copy without git.
mkdir -p "$tmp/src"
# (git only when $S is the top of its own work tree: make distcheck's source
# tree sits inside the checkout's ignored build directory)
if [ "$(git -C "$S" rev-parse --show-toplevel 2>/dev/null)" = "$(cd "$S" && pwd -P)" ]; then
  (cd "$S" && git ls-files -co --exclude-standard | while IFS= read -r p; do [ -f "$p" ] && printf '%s\n' "$p"; done) > "$tmp/files"
  tar -C "$S" -cf - -T "$tmp/files" | tar -C "$tmp/src" -xf -
else
  (cd "$S" && tar --exclude='./build*' --exclude='./_build' --exclude=.git --exclude='*.o' --exclude='*.a' --exclude=config.status \
     --exclude=node_modules -cf - .) | tar -C "$tmp/src" -xf -
fi
[ -f "$tmp/src/configure.ac" ] || fail "clean copy has no configure.ac"

# RUN steps of the build stage after COPY . ., continuation lines joined.
sed -e ':a' -e '/\\$/N; s/\\\n//; ta' "$f" | sed -n '/^FROM .* AS build$/,/^FROM /p' |
  sed -n '/^COPY \. \.$/,$p' | sed -n 's/^RUN //p' > "$tmp/steps"
[ -s "$tmp/steps" ] || fail "$svc.Dockerfile: no build steps after COPY . ."
start=$(date +%s)
while IFS= read -r step; do
  echo "RUN $step"
  (cd "$tmp/src" && timeout 900 sh -c "$step") > "$tmp/log" 2>&1 </dev/null || { tail -40 "$tmp/log"; fail "step failed: $step"; }
done < "$tmp/steps"
bin=$tmp/src/$svc
[ -x "$bin" ] || fail "the build steps did not produce $svc"
echo "built $svc in $(( $(date +%s) - start )) s"
"$bin" --help > "$tmp/help" 2>&1 || { cat "$tmp/help"; fail "$svc --help failed"; }

# Shared libraries: each must belong to a run-stage package or to the base
# image (debian:bookworm-slim: Debian's essential packages and the C/C++
# runtime, compression and libcrypt they pull in).
runtime=$(sed -e ':a' -e '/\\$/N; s/\\\n//; ta' "$f" | sed -n '/^FROM debian:bookworm-slim$/,$p' |
  sed -n 's/.*apt-get install -y --no-install-recommends *\([^&]*\).*/\1/p')
[ -n "$runtime" ] || fail "no run-stage package list"
base="libc6 libgcc-s1 libstdc++6 zlib1g libzstd1 liblzma5 libbz2-1.0 libcrypt1 libselinux1 libpcre2-8-0
  $(dpkg-query -W -f '${Package} ${Essential}\n' 2>/dev/null | awk '$2 == "yes" {print $1}' | sed 's/:.*//')"
ldd "$bin" | sed -n 's/.*=> \(\/[^ ]*\).*/\1/p' | while read -r lib; do
  pkg=$(dpkg -S "$(readlink -f "$lib")" 2>/dev/null | head -1 | cut -d: -f1) || true
  [ -n "$pkg" ] || pkg=$(dpkg -S "$lib" 2>/dev/null | head -1 | cut -d: -f1) || true
  [ -n "$pkg" ] || fail "$lib: no Debian package owns it"
  echo " $runtime $base " | tr '\n' ' ' | grep -q " $pkg " || fail "$svc needs $lib from $pkg, which the run stage does not install"
done
echo "docker-build: $svc builds from a clean tree with its Dockerfile's steps; its libraries are in the image"
