#!/usr/bin/env bash
# ./blobs-bench against a server that misbehaves on purpose
# (bench-helpers/bad_server.py): each failure is counted under its kind,
# the exit status is 1, and no run outlives its time limit. Also: closing
# after a right answer is not a failure, and an open loop shows a stall
# that a closed loop hides.
source "$(dirname "$0")/lib.sh"

BENCH=$BIN_DIR/blobs-bench
HELPER=$TOP/tests/integration/bench-helpers/bad_server.py

# start_bad MODE: a fresh helper server; sets BAD_PID and URL.
start_bad() {
    local port
    port=$(free_port)
    /usr/bin/python3 "$HELPER" "$port" "$1" \
        >>"$TEST_TMP/helper-$1-$port.out" 2>&1 &
    BAD_PID=$!
    STARTED_PIDS+=("$BAD_PID")
    wait_port "$port"
    URL=http://127.0.0.1:$port
}

stop_bad() {
    kill -TERM "$BAD_PID" 2>/dev/null
    wait "$BAD_PID" 2>/dev/null
}

# bench NAME ARGS...: output in $TEST_TMP/NAME.out, stderr in NAME.log,
# status in $STATUS, wall time in $ELAPSED (seconds, decimal).
bench() {
    local name=$1 start end
    shift
    start=$(date +%s.%N)
    "$BENCH" --url "$URL" "$@" >"$TEST_TMP/$name.out" 2>"$TEST_TMP/$name.log"
    STATUS=$?
    end=$(date +%s.%N)
    ELAPSED=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }')
}

# column NAME RUN [ROW]: a column of a run's TSV output, by its name.
column() {
    awk -F'\t' -v name="$1" -v row="${3:-2}" '
        NR == 1 { for (i = 1; i <= NF; i++) if ($i == name) c = i }
        NR == row { print $c }' "$TEST_TMP/$2.out"
}

# expect_counts NAME ok connect timeout reset status framing body
expect_counts() {
    expect_eq "$1: operations" "$2" "$(column operations "$1")"
    expect_eq "$1: err_connect" "$3" "$(column err_connect "$1")"
    expect_eq "$1: err_timeout" "$4" "$(column err_timeout "$1")"
    expect_eq "$1: err_reset" "$5" "$(column err_reset "$1")"
    expect_eq "$1: err_status" "$6" "$(column err_status "$1")"
    expect_eq "$1: err_framing" "$7" "$(column err_framing "$1")"
    expect_eq "$1: err_body" "$8" "$(column err_body "$1")"
}

faster_than() {
    awk -v t="$1" -v limit="$2" 'BEGIN { exit !(t < limit) }'
}

# --- each kind of failure, counted under its name ---------------------------

# Request n: n % 6 is a 500, no length, a close mid-head, no answer, a
# body where none belongs, a right answer. Sixty requests, ten of each.
start_bad mixed
bench mixed --baseline 60 0 -c 4 --timeout 1 --format tsv
expect_eq "mixed: exit status" 1 "$STATUS"
expect_counts mixed 10 0 10 10 10 10 10
expect_eq "mixed: failed operations" 50 "$(column ops_failed mixed)"
stop_bad

start_bad status
bench status --get 10 1 -c 2
expect_eq "status: exit status" 1 "$STATUS"
check "status: the summary names the status" \
    grep -q 'FAILED: 10 of 10 operations; status 10 (500 x10)' \
    "$TEST_TMP/status.out"
stop_bad

start_bad body
bench body --get 10 1 -c 2 --format tsv
expect_eq "wrong body: exit status" 1 "$STATUS"
expect_counts body 0 0 0 0 0 0 10
stop_bad

# Nothing listens: every connection fails, nothing runs, no hang.
URL=http://127.0.0.1:$(free_port)
bench refused --put 10 1 -c 3 --format tsv
expect_eq "refused: exit status" 1 "$STATUS"
expect_counts refused 0 3 0 0 0 0 0
expect_eq "refused: established" 0 "$(column established refused)"
expect_eq "refused: unfinished" 10 "$(column unfinished refused)"
bench refused-summary --baseline 5 0 -c 2
check "refused: the summary names the address and the error" \
    grep -q "connecting to ${URL#http://}: Connection refused" \
    "$TEST_TMP/refused-summary.out"

# --- deadlines ----------------------------------------------------------------

# A server that never answers: every request times out, its connection is
# closed and reopened, and the run goes on: 6 requests on 2 connections
# at 0.5 s each take about 1.5 s.
start_bad stall
bench timeouts --baseline 6 0 -c 2 --timeout 0.5 --format tsv
expect_eq "timeouts: exit status" 1 "$STATUS"
expect_counts timeouts 0 0 6 0 0 0 0
check "timeouts: the run went on ($ELAPSED s)" faster_than "$ELAPSED" 3
expect_eq "timeouts: reconnected" 6 "$(column connects timeouts)"

# The time limit ends a run that the deadlines would let go on.
bench limit --get 20 1 -c 4 --timeout 30 --time-limit 1.5 --format tsv
expect_eq "time limit: exit status" 1 "$STATUS"
check "time limit: no hang past it ($ELAPSED s)" faster_than "$ELAPSED" 2.5
expect_eq "time limit: in flight, timed out" 4 \
    "$(column err_timeout limit)"
expect_eq "time limit: never begun" 16 "$(column unfinished limit)"
expect_eq "time limit: reported" 1 "$(column time_limit_hit limit)"

bench limit_summary --get 20 1 -c 4 --time-limit 0.5
check "time limit: the summary says so" \
    grep -q 'operations never begun (time limit)' "$TEST_TMP/limit_summary.out"
stop_bad

# --- closing after a right answer is no failure -------------------------------

for mode in closeok dropidle; do
    start_bad "$mode"
    bench "$mode" --get 20 2 -c 3 --format tsv
    expect_eq "$mode: exit status" 0 "$STATUS"
    expect_counts "$mode" 20 0 0 0 0 0 0
    check "$mode: a new connection per request" \
        [ "$(column connects "$mode")" -ge 20 ]
    stop_bad
done

# --- coordinated omission -----------------------------------------------------

# The server stops for a second at its 100th request. A closed loop sends
# nothing while it waits and sees a handful of slow requests; the open
# loop keeps its schedule (200/s), so the requests due in that second all
# wait, and its p90 shows it.
export PAUSE_AT=100 PAUSE=1
start_bad pause
bench closed --baseline 600 0 -c 4 --format tsv
expect_eq "pause, closed loop: exit status" 0 "$STATUS"
closed_p90=$(column lat_p90_us closed)
check "pause, closed loop: p90 under 50 ms (got $closed_p90 us)" \
    [ "$closed_p90" -lt 50000 ]
check "pause, closed loop: max over 0.9 s" \
    [ "$(column lat_max_us closed)" -gt 900000 ]
stop_bad

start_bad pause
bench open --baseline 600 0 -c 4 --rate 200 --format tsv
expect_eq "pause, open loop: exit status" 0 "$STATUS"
open_p90=$(column lat_p90_us open)
check "pause, open loop: p90 over 100 ms (got $open_p90 us)" \
    [ "$open_p90" -gt 100000 ]
stop_bad
unset PAUSE_AT PAUSE

# --- bad usage ----------------------------------------------------------------

"$BENCH" --get 10 1 --connections lots >"$TEST_TMP/usage.out" \
    2>"$TEST_TMP/usage.err"
expect_eq "bad usage: exit status" 2 "$?"
expect_eq "bad usage: one line naming the option" \
    "blobs-bench: --connections: expected a whole number from 1 to 100000,\
 got 'lots' (see --help)" "$(cat "$TEST_TMP/usage.err")"
check "bad usage: nothing on stdout" [ ! -s "$TEST_TMP/usage.out" ]

"$BENCH" --help >"$TEST_TMP/help.out"
expect_eq "help: exit status" 0 "$?"
check "help: names every action" \
    grep -q -- '--baseline.*' "$TEST_TMP/help.out"

finish
