#!/bin/bash -eu
# OSS-Fuzz build script (projects/aiospec/build.sh in google/oss-fuzz): runs
# the repository's own .clusterfuzzlite/build.sh, which builds Abseil and
# GoogleTest from $SRC and the fuzzers into $OUT.
exec "$SRC/aiospec/.clusterfuzzlite/build.sh"
