#!/bin/sh
# Installs the build tree into a temporary prefix and runs the installed
# aiospec from there: a conformance trace on glibc (agent found in
# PREFIX/libexec/aiospec), `explain` reading PREFIX/share/aiospec, and the
# man page in PREFIX/share/man/man1.
# Usage: install_test.sh CMAKE BUILD_DIR [preload|no-preload]
set -eu
cmake="$1"
build="$2"
preload="${3:-preload}"
prefix=$(mktemp -d /tmp/aiospec-install.XXXXXX)
trap 'rm -rf "$prefix"' EXIT
"$cmake" --install "$build" --prefix "$prefix" >/dev/null
unset AIOSPEC_DATA_DIR AIOSPEC_AGENT_DIR
for f in bin/aiospec libexec/aiospec/aiospec-agent-glibc libexec/aiospec/libaiospec_aio.so \
         libexec/aiospec/aiospec-agent-bundled share/aiospec/spec/ASSERTIONS.md \
         share/aiospec/SPEC_NOTES.md share/aiospec/conformance/baselines/glibc.txt \
         share/aiospec/agent-src/agent.c share/aiospec/agent-src/agent.h \
         share/man/man1/aiospec.1; do
  test -e "$prefix/$f" || { echo "FAIL: $f not installed"; exit 1; }
done
"$prefix/bin/aiospec" run "$prefix/share/aiospec/conformance/traces/read_at_offset.trace" \
  --target glibc
if [ "$preload" = preload ]; then
  "$prefix/bin/aiospec" run "$prefix/share/aiospec/conformance/traces/read_at_offset.trace" \
    --target bundled-preload --quiet
else
  echo "bundled-preload not run: a sanitizer-built libaiospec_aio.so cannot be preloaded"
fi
out=$("$prefix/bin/aiospec" explain AIO-READ-07)
echo "$out"
case "$out" in
  *"source:   $prefix/share/aiospec/spec/ASSERTIONS.md"*) ;;
  *) echo "FAIL: explain did not read the installed catalogue"; exit 1 ;;
esac
case "$out" in
  *read_at_offset*) ;;
  *) echo "FAIL: explain names no covering trace from the installed suite"; exit 1 ;;
esac
echo "installed copy works: $prefix"
