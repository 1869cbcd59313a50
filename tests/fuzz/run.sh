#!/usr/bin/env bash
# Build the libFuzzer targets (tests/fuzz/fuzz_*.c, against src/http) into
# build/fuzz/ and run each from its seed corpus for a share of SECONDS.
#
#   tests/fuzz/run.sh [SECONDS]        (default 60, shared by the targets)
#
# New inputs go to build/fuzz/corpus/NAME/ (kept between runs, never into
# the seeds under tests/fuzz/corpus/NAME/); an input that breaks a target
# is kept as build/fuzz/artifacts/NAME-crash-*. Prints how many inputs
# each target tried. Exit status: 0 when nothing was found, 1 when a
# target found something (or failed to build), 77 when this clang cannot
# build libFuzzer targets.
set -u
cd "$(dirname "$0")/../.." || exit 2

SECONDS_TOTAL=${1:-60}
CLANG=${CLANG:-clang}
OUT=build/fuzz
# shellcheck disable=SC2054 # the commas belong to -fsanitize=
FLAGS=(-g -O1 -std=gnu11 -D_GNU_SOURCE -Iinclude
       -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes
       -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined)
# Heads up to the 16 KiB limit and a little past it need room; queries
# are capped by the 8 KiB target limit.
declare -A MAX_LEN=([request]=20000 [query]=16384)

case "$SECONDS_TOTAL" in
    ''|*[!0-9]*) echo "usage: $0 [SECONDS]" >&2; exit 2 ;;
esac

mkdir -p "$OUT/artifacts"

# Can this clang link libFuzzer at all? Not every packaging ships it.
probe=$OUT/probe
cat >"$probe.c" <<'PROBE'
int LLVMFuzzerTestOneInput(const char *data, unsigned long size);
int LLVMFuzzerTestOneInput(const char *data, unsigned long size)
{
    (void)data;
    (void)size;
    return 0;
}
PROBE
if ! "$CLANG" -fsanitize=fuzzer,address,undefined "$probe.c" -o "$probe" \
        >"$probe.log" 2>&1; then
    echo "SKIP: $CLANG cannot build libFuzzer targets:" >&2
    sed 's/^/  /' "$probe.log" | head -n 5 >&2
    exit 77
fi

targets=(tests/fuzz/fuzz_*.c)
share=$((SECONDS_TOTAL / ${#targets[@]}))
[ "$share" -ge 1 ] || share=1
status=0
total=0

for source in "${targets[@]}"; do
    target=$(basename "$source" .c)
    name=${target#fuzz_}
    binary=$OUT/$target
    log=$OUT/$target.log

    if ! "$CLANG" "${FLAGS[@]}" "$source" src/http/*.c -o "$binary"; then
        echo "$target: does not build" >&2
        status=1
        continue
    fi

    mkdir -p "$OUT/corpus/$name"
    dict=()
    [ -f "tests/fuzz/$name.dict" ] && dict=(-dict="tests/fuzz/$name.dict")

    # timeout: a hang inside the target must not hang the run.
    timeout $((share + 60)) "$binary" "$OUT/corpus/$name" "tests/fuzz/corpus/$name" \
        "${dict[@]}" -max_total_time="$share" -max_len="${MAX_LEN[$name]:-4096}" \
        -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$OUT/artifacts/$name-" >"$log" 2>&1
    result=$?

    runs=$(awk '/stat::number_of_executed_units:/ { print $2 }' "$log" | tail -n 1)
    runs=${runs:-0}
    total=$((total + runs))
    if [ "$result" -eq 0 ]; then
        printf '%s: %s inputs in %s s, nothing found\n' "$target" "$runs" "$share"
    else
        status=1
        printf '%s: FOUND something after %s inputs (exit %s)\n' \
            "$target" "$runs" "$result"
        grep -E 'promise broken|ERROR: |SUMMARY: |Test unit written|runtime error' \
            "$log" | head -n 8 | sed 's/^/  /'
        echo "  full log: $log"
    fi
done

echo "fuzz: $total inputs tried in all"
exit "$status"
