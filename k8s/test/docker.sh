#!/bin/sh
# Static checks of every k8s/docker/<service>.Dockerfile: generated from
# Dockerfile.in and current; a Debian build stage that installs at least what
# scripts/setup.sh builds with; a minimal Debian run stage as uid 1000 with
# the right binary and the port of the service's chart.
. "$(dirname "$0")/lib.sh"
D=$K/docker
sh "$D/generate" "$tmp"
for c in $(charts); do
  cmp -s "$D/$c.Dockerfile" "$tmp/$c.Dockerfile" || fail "$c.Dockerfile differs from Dockerfile.in: run k8s/docker/generate"
done
[ "$(ls "$D"/*.Dockerfile | wc -l)" = "$(charts | wc -l)" ] || fail "a Dockerfile without a chart, or the reverse"

# What scripts/setup.sh installs to build (pkgs_build="...").
build_pkgs=$(sed -n '/^pkgs_build="/,/"/p' "$S/scripts/setup.sh" | sed 's/pkgs_build="//; s/"//' | tr -s ' \n' '\n' | sed '/^$/d')
[ -n "$build_pkgs" ] || fail "cannot read pkgs_build from scripts/setup.sh"

for c in $(charts); do
  f=$D/$c.Dockerfile
  # Join continuation lines, so each instruction is one line.
  sed -e ':a' -e '/\\$/N; s/\\\n//; ta' "$f" | grep -v '^#' > "$tmp/df"
  [ "$(grep -c '^FROM ' "$tmp/df")" = 2 ] || fail "$c: want two stages (build, run)"
  grep -q '^FROM debian:bookworm-slim AS build$' "$tmp/df" || fail "$c: build stage is not Debian"
  sed -n '2,$p' "$tmp/df" | grep -q '^FROM \(debian:bookworm-slim\|gcr.io/distroless/[a-z0-9-]*\)$' || fail "$c: run stage is not minimal Debian or distroless"
  stage1=$(sed -n '/^FROM .* AS build$/,/^FROM /p' "$tmp/df")
  for p in $build_pkgs; do
    echo "$stage1" | grep -q "apt-get install.* $p\( \|$\)" || fail "$c: build stage lacks $p (scripts/setup.sh builds with it)"
  done
  echo "$stage1" | grep -q '^RUN autoreconf -fi && ./configure' || fail "$c: not built with the project's autotools"
  echo "$stage1" | grep -q "^RUN make .* $c && strip $c$" || fail "$c: does not build its own binary"
  final=$(sed -n '/^FROM debian:bookworm-slim$/,$p' "$tmp/df")
  echo "$final" | grep -q '^USER 1000:1000$' || fail "$c: run stage is not USER 1000:1000"
  echo "$final" | grep -q '^USER \(0\|root\)' && fail "$c: runs as root"
  echo "$final" | grep -q "^COPY --from=build /src/$c /usr/local/bin/$c$" || fail "$c: does not copy its binary"
  echo "$final" | grep -q "^ENTRYPOINT \[\"/usr/local/bin/$c\"\]$" || fail "$c: wrong ENTRYPOINT"
  port=$(sed -n 's/^  targetPort: *\([0-9]*\).*/\1/p' "$K/charts/$c/values.yaml")
  exposed=$(echo "$final" | sed -n 's/^EXPOSE //p')
  [ "$exposed" = "$port" ] || fail "$c: EXPOSE '$exposed' but the chart's container port is '$port'"
  if [ -n "$port" ]; then
    echo "$final" | grep -q "^ENV PORT=$port " || fail "$c: ENV PORT is not $port"
  fi
done
for p in 'build\*/' '\.git' '\*\*/\*\.o'; do
  grep -q "^$p$" "$S/.dockerignore" || fail ".dockerignore does not exclude $p"
done
echo "docker: $(charts | wc -l) Dockerfiles current and well-formed"
