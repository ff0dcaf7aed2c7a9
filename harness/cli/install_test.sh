#!/bin/sh
# Installs the build tree into a temporary prefix and runs the installed
# aiospec from there: a conformance trace on glibc (agent found in
# PREFIX/libexec/aiospec), `explain` reading PREFIX/share/aiospec, the man
# page in PREFIX/share/man/man1, `report --target system` as a distribution
# runs it, and the porter's agent project (share/aiospec/agent-src) built
# with an installed toolchain file.
# Usage: install_test.sh CMAKE BUILD_DIR [preload|no-preload]
set -eu
cmake="$1"
build="$2"
preload="${3:-preload}"
here=$(dirname "$0")
prefix=$(mktemp -d /tmp/aiospec-install.XXXXXX)
trap 'rm -rf "$prefix"' EXIT
"$cmake" --install "$build" --prefix "$prefix" >/dev/null
unset AIOSPEC_DATA_DIR AIOSPEC_AGENT_DIR
for f in bin/aiospec libexec/aiospec/aiospec-agent-glibc libexec/aiospec/libaiospec_aio.so \
         libexec/aiospec/aiospec-agent-bundled share/aiospec/spec/ASSERTIONS.md \
         share/aiospec/SPEC_NOTES.md share/aiospec/conformance/baselines/glibc.txt \
         share/aiospec/agent-src/CMakeLists.txt share/aiospec/agent-src/harness/agent/agent.c \
         share/aiospec/agent-src/harness/agent/agent.h share/aiospec/toolchains/musl.cmake \
         share/aiospec/toolchains/aarch64-linux-gnu.cmake \
         share/aiospec/toolchains/riscv64-linux-gnu.cmake share/man/man1/aiospec.1; do
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

# What a distribution's autopkgtest runs: debian/tests/system-glibc-report,
# i.e. `aiospec report --target system` on the installed suite and baselines,
# with the suite cut to a passing trace and a known finding to stay fast.
data="$prefix/share/aiospec"
traces="$data/conformance/traces"
find "$traces" -name '*.trace' ! -name read_at_offset.trace \
  ! -name bad_lio_wait_huge_nbytes_read.trace -delete
status=0
PATH="$prefix/bin:$PATH" AUTOPKGTEST_ARTIFACTS="$prefix/artifacts" \
  sh "$here/../../debian/tests/system-glibc-report" || status=$?
[ "$status" = 0 ] || { echo "FAIL: the autopkgtest's report exited $status, expected 0"; exit 1; }
report="$prefix/artifacts/aiospec-report"
for f in report.html report.md report.json report.junit.xml; do
  test -s "$report/$f" || { echo "FAIL: report --target system wrote no $f"; exit 1; }
done
grep -q 'known finding' "$report/report.json" ||
  { echo "FAIL: the installed baselines were not applied"; exit 1; }

# A porter's agent from the installed sources and toolchain file.
if command -v musl-gcc >/dev/null; then
  sh "$here/../../cross/porter_test.sh" "$cmake" "$prefix/bin/aiospec" "$data/agent-src" \
    "$data/toolchains/musl.cmake" "$traces/read_at_offset.trace" \
    "$(od -An -tu2 -j18 -N2 "$prefix/bin/aiospec" | tr -d ' ')" musl
else
  echo "installed agent-src not built: musl-gcc not found (package musl-tools)"
fi
echo "installed copy works: $prefix"
