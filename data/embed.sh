#!/bin/sh
# data/embed.sh NAME FILE — writes to stdout a C file defining
#   const unsigned char svc_data_NAME[];  const size_t svc_data_NAME_len;
# with FILE's bytes, using od and sed only (no xxd), for services/leaves.mk.
set -eu
name=$1; file=$2
[ -s "$file" ] || { echo "embed.sh: $file is missing or empty" >&2; exit 1; }
echo "/* Generated from $(basename "$file") by data/embed.sh: do not edit. */"
echo '#include "common/svc_data.h"'
echo "const unsigned char svc_data_${name}[] = {"
od -An -v -tx1 "$file" | sed -e 's/^ *//' -e 's/ *$//' -e 's/\([0-9a-f][0-9a-f]\)/0x\1,/g'
echo '};'
echo "const size_t svc_data_${name}_len = sizeof svc_data_${name};"
