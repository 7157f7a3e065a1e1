#!/usr/bin/env bash
# librdkafka's own integration tests (its tests/ directory, from the source rdkafka-sys bundles)
# against PG_KAFKA_BOOTSTRAP. Builds librdkafka's test runner once into target/librdkafka-tests,
# linked with the librdkafka that `cargo test -p pg_kafka_tests` built (so run that first), then
# runs the tests named in LIBRDKAFKA_TESTS (comma-separated numbers; NNNN:TEXT runs only the
# subtests of NNNN whose names contain TEXT, librdkafka's SUBTESTS). Exits non-zero if any fails.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
tests=${LIBRDKAFKA_TESTS:?name the tests to run, e.g. LIBRDKAFKA_TESTS=0011}
bootstrap=${PG_KAFKA_BOOTSTRAP:-127.0.0.1:9092}
registry=${CARGO_HOME:-$HOME/.cargo}/registry/src
# The rdkafka-sys the tests build with (Cargo.lock), so sources and library match.
version=$(awk '/^name = "rdkafka-sys"/ { getline; gsub(/version|[" =]/, ""); print; exit }' "$root/Cargo.lock")
src=$(ls -d "$registry"/*/"rdkafka-sys-$version"/librdkafka 2>/dev/null | head -1 || true)
[ -n "$src" ] || { echo "librdkafka_tests: no rdkafka-sys source under $registry" >&2; exit 1; }
lib=$(ls -t "$root"/target/debug/build/rdkafka-sys-*/out/lib/librdkafka++.a 2>/dev/null | head -1 || true)
[ -n "$lib" ] || { echo "librdkafka_tests: no built librdkafka (run cargo test -p pg_kafka_tests --no-run)" >&2; exit 1; }
out=$(dirname "$(dirname "$lib")")
dir=$root/target/librdkafka-tests
# Objects of another librdkafka source or build would link into a mix: start again.
if [ "$(cat "$dir/built-from" 2>/dev/null)" != "$src $out" ]; then rm -rf "$dir"; fi
mkdir -p "$dir"
echo "$src $out" > "$dir/built-from"

# The test runner: every C and C++ test file (the runner's table names them all), librdkafka's
# test support files, and the static libraries; -w because their warnings are not ours.
cat > "$dir/Makefile" <<MAKE
T := $src/tests
CS := \$(wildcard \$(T)/[08]*-*.c) \$(T)/test.c \$(T)/rusage.c \$(T)/sockem.c \$(T)/sockem_ctrl.c \\
      $src/src/tinycthread.c $src/src/tinycthread_extra.c $src/src/rdlist.c
CXXS := \$(wildcard \$(T)/[08]*-*.cpp) \$(T)/testcpp.cpp
OBJS := \$(notdir \$(CS:.c=.o)) \$(notdir \$(CXXS:.cpp=.o))
FLAGS := -O1 -g -w -I$src/src -I$src/src-cpp -I$out/build/generated -I$out/build/generated/dummy
vpath %.c \$(T) $src/src
vpath %.cpp \$(T)
test-runner: \$(OBJS) $out/lib/librdkafka.a $out/lib/librdkafka++.a
	g++ -rdynamic -o \$@ \$(OBJS) -L$out/lib -lrdkafka++ -lrdkafka -lssl -lcrypto -lz -lzstd -lcurl -lpthread -lm -ldl
%.o: %.c
	gcc \$(FLAGS) -c -o \$@ \$<
%.o: %.cpp
	g++ \$(FLAGS) -c -o \$@ \$<
MAKE
make -s -C "$dir" -j"$(nproc)" test-runner >"$dir/build.log" 2>&1 || { tail -20 "$dir/build.log" >&2; exit 1; }

printf 'bootstrap.servers=%s\n' "$bootstrap" > "$dir/test.conf"
cd "$dir"
rc=0
for entry in ${tests//,/ }; do
    t=${entry%%:*}
    sub=
    [ "$entry" = "$t" ] || sub=${entry#*:}
    log="run-$t${sub:+-$sub}.log"
    if SUBTESTS=$sub TESTS=$t TEST_KAFKA_VERSION=4.0.0 timeout 600 ./test-runner >"$log" 2>&1; then
        echo "librdkafka test $entry: passed"
    else
        echo "librdkafka test $entry: FAILED (target/librdkafka-tests/$log):" >&2
        grep -E "FAIL|assert" "$log" | head -20 >&2 || true
        rc=1
    fi
done
exit $rc
