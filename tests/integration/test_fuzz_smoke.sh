#!/usr/bin/env bash
# A short fuzzing run of the request parser, the chunked decoder and the
# query decoder (tests/fuzz/run.sh), so that CI tries a few hundred
# thousand hostile inputs on every change. `make fuzz` runs longer.
# Skipped, visibly, where clang cannot build libFuzzer targets.
# uses no binary (so it runs once, not again against the sanitized ones)
source "$(dirname "$0")/lib.sh"
source "$TOP/tests/integration/tools/hostile-lib.sh"

FUZZ_SMOKE_SECONDS=${FUZZ_SMOKE_SECONDS:-20}

"$TOP/tests/fuzz/run.sh" "$FUZZ_SMOKE_SECONDS" >"$TEST_TMP/fuzz.out" 2>&1
status=$?
cat "$TEST_TMP/fuzz.out"

if [ "$status" -eq 77 ]; then
    echo "SKIP: no libFuzzer here; the fuzz targets were not run"
else
    expect_eq "fuzzing found nothing" 0 "$status"
    tried=$(awk '/^fuzz: / { print $2 }' "$TEST_TMP/fuzz.out")
    check "fuzzing tried inputs ($tried)" at_least "$tried" 1000
fi
finish
