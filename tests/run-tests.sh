#!/usr/bin/env bash
# Run the unit tests (plain and sanitized builds) and the integration tests
# (against the plain and the sanitized binaries); print one closing line
# "N passed, N failed" and exit non-zero if anything failed.
#
#   tests/run-tests.sh [unit|integration|all] [name-filter]
set -u
cd "$(dirname "$0")/.."

what=${1:-all}
filter=${2:-}
case "$what" in
unit|integration|all) ;;
*) echo "usage: tests/run-tests.sh [unit|integration|all] [name-filter]" >&2
   exit 2 ;;
esac
passed=0
failed=0
failures=()

run_one() {
    local label=$1; shift
    local log
    log=$(mktemp)
    local start=$SECONDS
    if "$@" >"$log" 2>&1; then
        passed=$((passed + 1))
        printf 'ok    %-52s %3ss\n' "$label" $((SECONDS - start))
    else
        failed=$((failed + 1))
        failures+=("$label")
        printf 'FAIL  %-52s %3ss\n' "$label" $((SECONDS - start))
        sed 's/^/      | /' "$log" | tail -n 60
    fi
    rm -f "$log"
}

if [ "$what" = unit ] || [ "$what" = all ]; then
    for variant in plain san; do
        for t in build/$variant/tests/test_*; do
            [ -x "$t" ] || continue
            case "$t" in *"$filter"*) ;; *) continue ;; esac
            run_one "unit/$variant/$(basename "$t")" "$t"
        done
    done
fi

if [ "$what" = integration ] || [ "$what" = all ]; then
    for variant in plain san; do
        if [ "$variant" = san ]; then bin_dir=build/san/bin; else bin_dir=.; fi
        for t in tests/integration/test_*.sh; do
            [ -f "$t" ] || continue
            case "$t" in *"$filter"*) ;; *) continue ;; esac
            # A test that starts none of our binaries runs once.
            if [ "$variant" = san ] && grep -q '^# uses no binary' "$t"; then
                continue
            fi
            run_one "integration/$variant/$(basename "$t" .sh)" \
                env BIN_DIR="$bin_dir" bash "$t"
        done
    done
fi

echo
if [ $((passed + failed)) -eq 0 ]; then
    echo "no test matched '$what' '$filter' (did you build? make test-build)" >&2
    exit 1
fi
if [ "$failed" -gt 0 ]; then
    printf 'failed: %s\n' "${failures[@]}"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
