# Shared helpers for the integration tests: free ports, servers started by
# PID and always stopped, and small assertions. Source it, then call
# `finish` at the end.
#
# BIN_DIR selects the binaries (. for the plain build, build/san/bin for
# the sanitized one). Every process started here is stopped by its PID in
# the EXIT trap, whatever happens.

set -u
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BIN_DIR=${BIN_DIR:-.}
case "$BIN_DIR" in /*) ;; *) BIN_DIR="$TOP/$BIN_DIR" ;; esac
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:exitcode=99}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:exitcode=98}

TEST_TMP=$(mktemp -d /tmp/blobs-test.XXXXXX)
STARTED_PIDS=()
CHECKS=0
FAILURES=0

cleanup() {
    local pid
    for pid in "${STARTED_PIDS[@]}"; do
        kill -TERM "$pid" 2>/dev/null
    done
    for pid in "${STARTED_PIDS[@]}"; do
        for _ in $(seq 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null
    done
    rm -rf "$TEST_TMP"
}
trap cleanup EXIT

# A TCP port nobody listens on right now.
free_port() {
    /usr/bin/python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# Wait until something accepts connections on 127.0.0.1:PORT (5 s at most).
wait_port() {
    local port=$1
    for _ in $(seq 100); do
        if (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null; then
            return 0
        fi
        sleep 0.05
    done
    echo "nothing listens on port $port" >&2
    return 1
}

# start_server DIR PORT [options...]: start blobs-server in the background,
# remember its PID in SERVER_PID, log to $TEST_TMP/server-PORT.log.
start_server() {
    local dir=$1 port=$2
    shift 2
    "$BIN_DIR/blobs-server" "$@" "$dir" "$port" \
        >>"$TEST_TMP/server-$port.log" 2>&1 &
    SERVER_PID=$!
    STARTED_PIDS+=("$SERVER_PID")
    wait_port "$port"
}

# Stop one server by PID and check that it exited cleanly (status 0):
# a sanitizer report turns into a non-zero status here.
stop_server() {
    local pid=$1 status
    kill -TERM "$pid" 2>/dev/null
    wait "$pid"
    status=$?
    check "server $pid exited with status 0 (got $status)" [ "$status" -eq 0 ]
}

check() {
    local what=$1
    shift
    CHECKS=$((CHECKS + 1))
    if "$@"; then
        return 0
    fi
    FAILURES=$((FAILURES + 1))
    echo "FAILED: $what" >&2
    return 1
}

# For check: succeed when the command fails.
not() {
    ! "$@"
}

# expect_eq WHAT EXPECTED ACTUAL
expect_eq() {
    CHECKS=$((CHECKS + 1))
    if [ "$2" == "$3" ]; then
        return 0
    fi
    FAILURES=$((FAILURES + 1))
    printf 'FAILED: %s\n  expected: %q\n  actual:   %q\n' "$1" "$2" "$3" >&2
    return 1
}

finish() {
    local log
    for log in "$TEST_TMP"/*.log; do
        [ -f "$log" ] || continue
        if grep -q -E 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$log"; then
            FAILURES=$((FAILURES + 1))
            echo "FAILED: sanitizer report in $log" >&2
            cat "$log" >&2
        fi
    done
    echo "$((CHECKS - FAILURES)) passed, $FAILURES failed"
    [ "$FAILURES" -eq 0 ]
}

# req METHOD PATH [curl options...]: one request to the server on $PORT.
# Sets STATUS and BODY; the response headers are in $TEST_TMP/headers
# (read them with `header NAME`).
req() {
    local method=$1 path=$2
    shift 2
    local how=(-X "$method") out=$TEST_TMP/body
    # curl never reads a body after HEAD (and would print the head as
    # one): whether the server sends none is checked with raw bytes.
    if [ "$method" = HEAD ]; then
        how=(--head)
        out=/dev/null
        : >"$TEST_TMP/body"
    fi
    STATUS=$(curl -s -o "$out" -D "$TEST_TMP/headers" \
                  -w '%{http_code}' "${how[@]}" "$@" \
                  "http://127.0.0.1:$PORT$path")
    BODY=$(tr -d '\0' <"$TEST_TMP/body")
}

# The value of a response header from the last req, without its CR.
header() {
    grep -i "^$1:" "$TEST_TMP/headers" | head -n 1 | cut -d' ' -f2- | tr -d '\r'
}

# expect_req WHAT STATUS [BODY]: check the last req's status (and body).
expect_req() {
    expect_eq "$1: status" "$2" "$STATUS"
    if [ $# -ge 3 ]; then
        expect_eq "$1: body" "$3" "$BODY"
    fi
}

# raw PORT [rawhttp options]: send stdin as raw bytes, print the answer.
raw() {
    /usr/bin/python3 "$TOP/tests/integration/tools/rawhttp.py" "$@"
}
