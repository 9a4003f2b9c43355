#!/bin/sh
# services/frontend/embed_static.sh DIR FILE... — writes to stdout a C file
# with the frontend's static files compiled in: one byte array per FILE
# (a path relative to DIR) and the table fe_static_files[] that serves it at
# /static/FILE with a Content-Type from its extension. od and sed only, like
# data/embed.sh. Used by services/frontend.mk.
set -eu
dir=$1; shift
echo "/* Generated from services/frontend/static/ by embed_static.sh: do not edit. */"
echo '#include "frontend/fe.h"'
i=0
for f in "$@"; do
  [ -s "$dir/$f" ] || { echo "embed_static.sh: $dir/$f is missing or empty" >&2; exit 1; }
  echo "static const unsigned char file_$i[] = {"
  od -An -v -tx1 "$dir/$f" | sed -e 's/^ *//' -e 's/ *$//' -e 's/\([0-9a-f][0-9a-f]\)/0x\1,/g'
  echo '};'
  i=$((i + 1))
done
echo 'const fe_static_file_t fe_static_files[] = {'
i=0
for f in "$@"; do
  case $f in
    *.css) type='text/css; charset=utf-8' ;;
    *.svg) type='image/svg+xml' ;;
    *.txt) type='text/plain; charset=utf-8' ;;
    *.png) type='image/png' ;;
    *.jpg) type='image/jpeg' ;;
    *.ico) type='image/x-icon' ;;
    *.js) type='text/javascript; charset=utf-8' ;;
    *) type='application/octet-stream' ;;
  esac
  case $f in
    *[!A-Za-z0-9._/-]*) echo "embed_static.sh: unsafe file name $f" >&2; exit 1 ;;
  esac
  echo "    {\"/static/$f\", \"$type\", file_$i, sizeof file_$i},"
  i=$((i + 1))
done
echo '};'
echo 'const size_t fe_n_static_files = sizeof fe_static_files / sizeof *fe_static_files;'
