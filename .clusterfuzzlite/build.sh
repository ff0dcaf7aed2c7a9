#!/bin/bash -eu
# Builds aiospec's libFuzzer targets for ClusterFuzzLite / OSS-Fuzz.
# Environment (set by the builder image): CC, CXX, CFLAGS, CXXFLAGS, SRC,
# WORK, OUT. Shared by oss-fuzz/build.sh.
#
# Shipped fuzzers:
#   trace_parser_fuzzer  the trace parser on arbitrary text
#   aio_fuzzer_bundled   model-guided traces on the bundled implementation;
#                        traps on a model FAIL (every finding is a bug)
# The glibc and differential variants only record findings in files and are
# meant for ci/fuzz, not for a crash-reporting service.

deps="$WORK/deps"
build="$WORK/aiospec-build"
aiospec="${AIOSPEC_SRC:-$SRC/aiospec}"

# Abseil and GoogleTest with the same compiler and flags as the fuzzers.
for dep in abseil-cpp googletest; do
  extra=()
  if [[ $dep == abseil-cpp ]]; then
    extra=(-DABSL_PROPAGATE_CXX_STD=ON -DABSL_BUILD_TESTING=OFF)
  fi
  cmake -S "$SRC/$dep" -B "$WORK/$dep-build" -G Ninja \
    -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_STANDARD=20 \
    -DCMAKE_INSTALL_PREFIX="$deps" -DCMAKE_POSITION_INDEPENDENT_CODE=ON \
    "${extra[@]}"
  cmake --build "$WORK/$dep-build"
  cmake --install "$WORK/$dep-build"
done

# AIOSPEC_FUZZ=ON adds -fsanitize=fuzzer-no-link,address,undefined and links
# each fuzzer with -fsanitize=fuzzer (libFuzzer, the only engine offered).
cmake -S "$aiospec" -B "$build" -G Ninja \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER="$CC" -DCMAKE_CXX_COMPILER="$CXX" \
  -DCMAKE_PREFIX_PATH="$deps" -DAIOSPEC_FUZZ=ON
cmake --build "$build" --target trace_parser_fuzzer aio_fuzzer_bundled \
  aio_fuzz_corpus

cp "$build/bin/trace_parser_fuzzer" "$build/bin/aio_fuzzer_bundled" "$OUT/"
cp "$aiospec/fuzz/trace.dict" "$OUT/trace_parser_fuzzer.dict"
cp "$aiospec/fuzz/aio.dict" "$OUT/aio_fuzzer_bundled.dict"
# Seed corpora: the committed parser corpus, and the conformance traces made
# runnable by aio_fuzz_corpus.
(cd "$aiospec/fuzz/corpus/trace_parser" &&
  zip -q -r "$OUT/trace_parser_fuzzer_seed_corpus.zip" .)
(cd "$build/fuzz/corpus/aio" &&
  zip -q -r "$OUT/aio_fuzzer_bundled_seed_corpus.zip" .)
# A trace may hold a request on a pipe until the watchdog: allow for it.
printf '[libfuzzer]\ntimeout = 25\nrss_limit_mb = 4096\n' \
  > "$OUT/aio_fuzzer_bundled.options"
