# Building against musl on the host architecture with the musl-gcc wrapper
# (Debian package musl-tools). The agent is linked statically, as in the
# main build's musl target.
#
# Usage (builds only the agent, see docs/PORTING.md):
#   cmake -S cross/agent -B out-musl \
#     -DCMAKE_TOOLCHAIN_FILE=$PWD/cmake/toolchains/musl.cmake
#   cmake --build out-musl             # -> out-musl/aiospec-agent
# musl for another architecture: use a musl cross toolchain (e.g. musl.cc's
# aarch64-linux-musl-) through aarch64-linux-gnu.cmake with
# -DAIOSPEC_CROSS_PREFIX=aarch64-linux-musl- -DAIOSPEC_AGENT_LIBC_NAME=musl.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR ${CMAKE_HOST_SYSTEM_PROCESSOR})
find_program(AIOSPEC_MUSL_GCC musl-gcc REQUIRED)
set(CMAKE_C_COMPILER ${AIOSPEC_MUSL_GCC})
set(AIOSPEC_AGENT_LIBC_NAME "musl" CACHE STRING
    "Name the agent prints in its log's target line")
