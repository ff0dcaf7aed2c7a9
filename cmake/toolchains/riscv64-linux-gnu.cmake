# Cross-compiling for 64-bit RISC-V Linux (RV64GC, lp64d) with Debian's
# cross toolchain (packages gcc-riscv64-linux-gnu and libc6-dev-riscv64-cross).
#
# Usage (builds only the agent, see docs/PORTING.md):
#   cmake -S cross/agent -B out-riscv64 \
#     -DCMAKE_TOOLCHAIN_FILE=$PWD/cmake/toolchains/riscv64-linux-gnu.cmake
#   cmake --build out-riscv64          # -> out-riscv64/aiospec-agent
# A different prefix (e.g. your own toolchain): -DAIOSPEC_CROSS_PREFIX=...
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR riscv64)
set(AIOSPEC_CROSS_PREFIX "riscv64-linux-gnu-" CACHE STRING
    "Prefix of the cross tools (PREFIXgcc)")
set(CMAKE_C_COMPILER ${AIOSPEC_CROSS_PREFIX}gcc)
# CMake's compiler checks re-read this file in a fresh project: pass the
# prefix on.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES AIOSPEC_CROSS_PREFIX)
# Run target binaries (try_run, tests) under qemu-user when it is installed.
find_program(AIOSPEC_CROSS_EMULATOR NAMES qemu-riscv64 qemu-riscv64-static)
if(AIOSPEC_CROSS_EMULATOR)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${AIOSPEC_CROSS_EMULATOR})
endif()
# Look for libraries and headers in the target's tree only, programs on the
# host.
set(CMAKE_FIND_ROOT_PATH /usr/riscv64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
