#!/bin/sh
# A porter's path (docs/PORTING.md) end to end: configures the agent project
# (cross/agent, or an installed share/aiospec/agent-src) with a toolchain
# file, builds it, checks the agent is the architecture (ELF e_machine) and
# libc (the log's `target` line) the toolchain asked for, and runs one trace
# on it with --target agent:PATH.
# Usage: porter_test.sh CMAKE AIOSPEC PROJECT_DIR TOOLCHAIN_FILE TRACE MACHINE LIBC
#   MACHINE: e_machine expected (62 x86-64, 183 aarch64, 243 riscv)
#   LIBC:    the agent's libc name (glibc, musl)
set -eu
cmake="$1" aiospec="$2" project="$3" toolchain="$4" trace="$5" machine="$6" libc="$7"
out=$(mktemp -d /tmp/aiospec-porter.XXXXXX)
trap 'rm -rf "$out"' EXIT
"$cmake" -S "$project" -B "$out/build" -DCMAKE_TOOLCHAIN_FILE="$toolchain" >"$out/log" 2>&1 ||
  { cat "$out/log"; echo "FAIL: configuring $project with $toolchain"; exit 1; }
"$cmake" --build "$out/build" >"$out/log" 2>&1 ||
  { cat "$out/log"; echo "FAIL: building $project"; exit 1; }
agent="$out/build/aiospec-agent"
got=$(od -An -tu2 -j18 -N2 "$agent" | tr -d ' ')
[ "$got" = "$machine" ] ||
  { echo "FAIL: $agent has e_machine $got, expected $machine ($toolchain)"; exit 1; }
"$aiospec" run "$trace" --target "agent:$agent" --save_log "$out/run.log"
grep -qx "target $libc" "$out/run.log" ||
  { echo "FAIL: the agent's log names another libc than $libc:"; head -3 "$out/run.log"; exit 1; }
echo "$toolchain: agent built from $project and run with --target agent:$agent"
