#!/usr/bin/env bash
# The multiprocessing study, `make test-matrix`: for every front, process
# count, action and scenario, start the stack through the supervisor on a
# fresh blob root, run blobs-bench REPEAT times against it, note the CPU
# time the client, haproxy and the servers used, and stop the stack by
# PID. The results go to RESULTS_DIR/<date>_<cpu>_<RAM>_<disk>.txt (the
# original's five columns) and .tsv (the full record, described in
# tools/plot.py and DESIGN.md), then the figures to PLOTS_DIR.
#
# Every parameter is a variable, from make's command line or from the
# environment; the defaults are the original study's:
#
#   PROCS="1 2 4 8"                 process counts
#   FRONTS="haproxy"                any of haproxy (balances requests),
#                                   haproxy-tcp (connections, as the
#                                   original did), reuseport, direct
#   ACTIONS="baseline list put get flag delete"
#   SCENARIOS="1000x10 100x100 10x1000"   amount x size in KiB
#   REPEAT=5  CONNECTIONS=10  PORT=8000  BASE_PORT=8001
#   RESULTS_DIR=results  PLOTS_DIR=plots  BIN_DIR=. (where the binaries are)
#   BLOB_PARENT=/tmp                the blob roots are made under it
#   SERVER_ARGS=  BENCH_ARGS=       more options for each server, the bench
#   BUILD=1  INSTALL=1  PLOT=1      run make / install what is missing /
#                                   draw the figures (0 to skip)
#   READY_TIMEOUT=20  RUN_TIMEOUT=300  STOP_TIMEOUT=15   seconds
#   PID_LOG=FILE                    append "what PID start-time" for every
#                                   process started (the tests check them)
#
# direct sends the load to one server's port with no front at all, so it
# measures one process whatever the count: it runs for a count of 1 only
# and the other counts are skipped, said so on the way.
#
# The files, NAME being <date>_<cpu>_<RAM>_<disk> (_runN when taken):
#
#   NAME.txt       procs action amount size mean_seconds, the original's
#                  format; with several fronts, the main front's rows only
#                  (haproxy when it runs, else the first of FRONTS)
#   NAME.tsv       every front's rows with the full record; CPU and wall
#                  seconds are sums over the repeats, so that their ratio
#                  is the cores used; p50 and p99 are the means of the
#                  runs' percentiles
#   NAME.runs.tsv  each run's own row from the bench, after the front, the
#                  count of servers (stack_procs: the bench's own "procs"
#                  column repeats it), and the CPU seconds of haproxy and
#                  of the servers during that run
#
# The rows are written as the steps end, so an interrupted matrix leaves
# what it measured. The CPU time of haproxy and the servers is read from
# /proc (every thread's schedstat) just before and after each run of the
# bench, so it also holds the bench's connecting, which the run's seconds
# do not: on runs of a few milliseconds haproxy looks busier than it is.
#
# Exit status: 0 when every step passed; 1 when some step failed (each is
# reported and the matrix goes on); 2 for a bad parameter or a setup that
# cannot run; 130 or 143 when interrupted, after stopping everything.
set -u

TOP=$(cd "$(dirname "$0")/.." && pwd)
. "$TOP/tools/matrix-lib.sh"

PROCS=${PROCS:-1 2 4 8}
FRONTS=${FRONTS:-haproxy}
ACTIONS=${ACTIONS:-baseline list put get flag delete}
SCENARIOS=${SCENARIOS:-1000x10 100x100 10x1000}
REPEAT=${REPEAT:-5}
CONNECTIONS=${CONNECTIONS:-10}
PORT=${PORT:-8000}
BASE_PORT=${BASE_PORT:-8001}
RESULTS_DIR=${RESULTS_DIR:-$TOP/results}
PLOTS_DIR=${PLOTS_DIR:-$TOP/plots}
BIN_DIR=${BIN_DIR:-$TOP}
BLOB_PARENT=${BLOB_PARENT:-/tmp}
SERVER_ARGS=${SERVER_ARGS:-}
BENCH_ARGS=${BENCH_ARGS:-}
BUILD=${BUILD:-1}
INSTALL=${INSTALL:-1}
PLOT=${PLOT:-1}
READY_TIMEOUT=${READY_TIMEOUT:-20}
RUN_TIMEOUT=${RUN_TIMEOUT:-300}
STOP_TIMEOUT=${STOP_TIMEOUT:-15}
PID_LOG=${PID_LOG:-}

KNOWN_FRONTS="haproxy haproxy-tcp reuseport direct"
KNOWN_ACTIONS="baseline list put get flag delete"

# What runs right now, so that the EXIT trap can stop it: the bench, a
# timer, the supervisor and what its ready file named ("PID:START" so
# that a PID the kernel has since given to another process is left be).
BENCH_PID=""
TIMER_PID=""
SUPERVISOR_PID=""
STACK_PIDS=()
WORK=""
INTERRUPTED=0

# A child that bash has forked but not yet turned into the program it
# runs still has our traps for a moment: a signal then would run our
# cleanup in the child. The cleanup checks that it runs in this shell.
MAIN_PID=$BASHPID

say() {
    printf 'matrix: %s\n' "$*" >&2
}

usage_error() {
    say "$*"
    say "see the head of tools/test-matrix.sh for the parameters"
    exit 2
}

# "WHAT PID START" into PID_LOG, START telling this process from a later
# one with the same PID ("-" when it has already ended).
note_pid() {
    if [ -n "$PID_LOG" ]; then
        printf '%s %s %s\n' "$1" "$2" \
            "$(matrix_start_time "$2" || echo -)" >>"$PID_LOG"
    fi
}

is_count() {
    case "$1" in
    '' | *[!0-9]* | 0*) return 1 ;;
    esac
}

in_list() {
    local word
    for word in $2; do
        [ "$word" = "$1" ] && return 0
    done
    return 1
}

check_parameters() {
    local value
    for value in $PROCS; do
        is_count "$value" || usage_error "PROCS: '$value' is no process count"
    done
    for value in $FRONTS; do
        in_list "$value" "$KNOWN_FRONTS" ||
            usage_error "FRONTS: '$value' is none of: $KNOWN_FRONTS"
    done
    for value in $ACTIONS; do
        in_list "$value" "$KNOWN_ACTIONS" ||
            usage_error "ACTIONS: '$value' is none of: $KNOWN_ACTIONS"
    done
    for value in $SCENARIOS; do
        if [[ "$value" != *x* ]] || ! is_count "${value%%x*}" ||
            ! is_count "${value#*x}"; then
            usage_error "SCENARIOS: '$value' is not AMOUNTxKIB, e.g. 1000x10"
        fi
    done
    for value in REPEAT CONNECTIONS PORT BASE_PORT READY_TIMEOUT \
        RUN_TIMEOUT STOP_TIMEOUT; do
        is_count "${!value}" || usage_error "$value: '${!value}' is no count"
    done
    if [ -z "$PROCS" ] || [ -z "$FRONTS" ] || [ -z "$ACTIONS" ] ||
        [ -z "$SCENARIOS" ]; then
        usage_error "PROCS, FRONTS, ACTIONS and SCENARIOS may not be empty"
    fi
}

# Wait for PID, a child of ours, at most SECONDS. Returns 0 with its exit
# status in WAIT_STATUS when it ended in time, 1 when it still runs. The
# timer is a child too, so that `wait -n` wakes for whichever ends first
# and a signal still reaches our traps at once.
wait_bounded() {
    local pid=$1 limit=$2 ended
    sleep "$limit" &
    TIMER_PID=$!
    note_pid timer "$TIMER_PID"
    wait -n -p ended "$pid" "$TIMER_PID" 2>/dev/null
    WAIT_STATUS=$?
    if [ "${ended:-}" != "$TIMER_PID" ]; then
        # SIGKILL: no trap of ours can run in a timer not yet exec'd.
        kill -KILL "$TIMER_PID" 2>/dev/null
        wait "$TIMER_PID" 2>/dev/null
        TIMER_PID=""
        if [ -z "${ended:-}" ] && matrix_alive "$pid"; then
            return 1
        fi
        return 0
    fi
    TIMER_PID=""
    return 1
}

# Stop a child of ours: SIGTERM, then SIGKILL after SECONDS.
stop_child() {
    local pid=$1 limit=$2
    kill -TERM "$pid" 2>/dev/null
    if wait_bounded "$pid" "$limit"; then
        return 0
    fi
    say "PID $pid ignored SIGTERM for ${limit}s: killing it"
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    return 1
}

stop_bench() {
    [ -n "$BENCH_PID" ] || return 0
    stop_child "$BENCH_PID" 5
    BENCH_PID=""
}

# Stop the supervisor, which stops its servers and haproxy; then make sure
# that none of those is left. Sets STACK_PROBLEM when something went wrong.
stop_stack() {
    local entry pid start left=()
    STACK_PROBLEM=""
    [ -n "$SUPERVISOR_PID" ] || return 0

    kill -TERM "$SUPERVISOR_PID" 2>/dev/null
    if wait_bounded "$SUPERVISOR_PID" "$STOP_TIMEOUT"; then
        if [ "$WAIT_STATUS" -ne 0 ] && [ "$WAIT_STATUS" -ne 127 ]; then
            STACK_PROBLEM="supervisor exited with status $WAIT_STATUS"
        fi
    else
        kill -KILL "$SUPERVISOR_PID" 2>/dev/null
        wait "$SUPERVISOR_PID" 2>/dev/null
        STACK_PROBLEM="supervisor ignored SIGTERM for ${STOP_TIMEOUT}s"
    fi
    SUPERVISOR_PID=""

    for entry in "${STACK_PIDS[@]}"; do
        pid=${entry%%:*}
        start=${entry#*:}
        if matrix_alive "$pid" &&
            [ "$(matrix_start_time "$pid")" = "$start" ]; then
            kill -KILL "$pid" 2>/dev/null
            left+=("$pid")
        fi
    done
    STACK_PIDS=()
    if [ "${#left[@]}" -gt 0 ]; then
        STACK_PROBLEM="${STACK_PROBLEM:+$STACK_PROBLEM; }the supervisor"
        STACK_PROBLEM+=" left PID(s) ${left[*]} running: killed"
    fi
}

cleanup() {
    [ "$BASHPID" = "$MAIN_PID" ] || return 0
    trap '' INT TERM

    # A timer that a signal cut short is no longer waited for.
    if [ -n "$TIMER_PID" ]; then
        kill -KILL "$TIMER_PID" 2>/dev/null
        TIMER_PID=""
    fi
    stop_bench
    stop_stack
    if [ -n "$STACK_PROBLEM" ]; then
        say "$STACK_PROBLEM"
    fi
    if [ -n "$WORK" ]; then
        rm -rf "$WORK"
    fi
    if [ "$INTERRUPTED" = 1 ] && [ -n "${TSV:-}" ]; then
        if [ "$(wc -l <"$TSV")" -gt 1 ]; then
            say "partial results: $TXT and $TSV"
        else
            # An empty file would be the newest for `make plot`.
            rm -f "$TXT" "$TSV" "$RUNS"
        fi
    fi
}

on_signal() {
    [ "$BASHPID" = "$MAIN_PID" ] || exit "$1"
    INTERRUPTED=1
    say "interrupted: stopping what runs"
    exit "$1"
}

# The stack's ports must be free before the first step: a server left over
# from an earlier run would take the load and the results would lie.
check_ports() {
    local highest=0 count port
    for count in $PROCS; do
        [ "$count" -gt "$highest" ] && highest=$count
    done
    for port in "$PORT" $(seq "$BASE_PORT" $((BASE_PORT + highest - 1))); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            say "port $port is in use: stop what listens there, or set" \
                "PORT= and BASE_PORT="
            exit 2
        fi
    done
}

prepare() {
    local parts=() front binary
    for front in $FRONTS; do
        case "$front" in haproxy*) parts+=(haproxy) ;; esac
    done
    [ "$PLOT" = 1 ] && parts+=(plot)
    if [ "$INSTALL" != 1 ]; then
        parts=(--check "${parts[@]}")
    fi
    "$TOP/tools/matrix-deps.sh" "${parts[@]}" || exit 2

    if [ "$BUILD" = 1 ]; then
        say "building: make all"
        make -C "$TOP" --no-print-directory all >&2 || {
            say "make all failed"
            exit 2
        }
    fi
    for binary in supervisor blobs-server blobs-bench; do
        if [ ! -x "$BIN_DIR/$binary" ]; then
            say "no $BIN_DIR/$binary: build it first (make all)"
            exit 2
        fi
    done

    read -r -a BENCH_OPTIONS <<<"$BENCH_ARGS"
}

# The results file's name, from the date and the machine; a second run on
# the same day gets _run2, _run3... rather than overwriting the first.
choose_results_name() {
    local base candidate number=1
    mkdir -p "$RESULTS_DIR" || exit 2
    base="$(date +%F)_$(matrix_machine_name "$RESULTS_DIR")"
    candidate=$base
    while [ -e "$RESULTS_DIR/$candidate.txt" ] ||
        [ -e "$RESULTS_DIR/$candidate.tsv" ]; do
        number=$((number + 1))
        candidate="${base}_run$number"
    done
    NAME=$candidate
    TXT="$RESULTS_DIR/$NAME.txt"
    TSV="$RESULTS_DIR/$NAME.tsv"
    RUNS="$RESULTS_DIR/$NAME.runs.tsv"
}

TSV_HEADER="front procs action amount size_kib connections repeats mean_s"
TSV_HEADER+=" stdev_s min_s max_s ops_per_s ops_per_s_stdev lat_p50_us"
TSV_HEADER+=" lat_p99_us errors client_cpu_s haproxy_cpu_s servers_cpu_s"
TSV_HEADER+=" wall_s client_bound"

# Every step to run, one "front procs action amount size" per entry.
plan_steps() {
    local front procs action scenario amount
    STEPS=()
    SKIPPED=()
    for front in $FRONTS; do
        for procs in $PROCS; do
            if [ "$front" = direct ] && [ "$procs" != 1 ]; then
                SKIPPED+=("$procs")
                continue
            fi
            for action in $ACTIONS; do
                for scenario in $SCENARIOS; do
                    amount=${scenario%%x*}
                    STEPS+=("$front $procs $action $amount ${scenario#*x}")
                done
            done
        done
    done
}

main_front() {
    local first
    if in_list haproxy "$FRONTS"; then
        echo haproxy
    else
        read -r first _ <<<"$FRONTS"
        echo "$first"
    fi
}

duration() {
    printf '%d:%02d' $(($1 / 60)) $(($1 % 60))
}

# Start the supervisor for FRONT with PROCS servers and wait until its
# ready file names them all. Sets SUPERVISOR_PID, STACK_PIDS, HAPROXY_PIDS,
# SERVER_PIDS and TARGET_PORT; returns 1 with STEP_ERROR set on failure.
start_stack() {
    local front=$1 procs=$2 options=() words word waited pid ready servers
    local expected_haproxy=0
    case "$front" in
    haproxy) options=(--front haproxy) expected_haproxy=1 ;;
    haproxy-tcp)
        options=(--front haproxy --haproxy-variant tcp)
        expected_haproxy=1
        ;;
    reuseport) options=(--front reuseport) ;;
    direct) options=(--front none) ;;
    esac
    read -r -a words <<<"$SERVER_ARGS"
    for word in "${words[@]}"; do
        options+=(--server-arg "$word")
    done

    rm -rf "$WORK/root" "$WORK/ready"
    mkdir "$WORK/root"
    "$BIN_DIR/supervisor" --procs "$procs" "${options[@]}" \
        --dir "$WORK/root" --base-port "$BASE_PORT" --port "$PORT" \
        --ready-file "$WORK/ready" </dev/null >"$WORK/supervisor.out" \
        2>"$WORK/supervisor.log" &
    SUPERVISOR_PID=$!
    note_pid supervisor "$SUPERVISOR_PID"

    # The ready line, then every server's PID line (and haproxy's): the
    # file may be written in more than one piece.
    waited=0
    while :; do
        if [ -r "$WORK/ready" ] && grep -q '^ready:' "$WORK/ready"; then
            servers=$(grep -c '^server ' "$WORK/ready")
            ready=$(grep -c '^haproxy ' "$WORK/ready")
            if [ "$servers" -ge "$procs" ] &&
                [ "$ready" -ge "$expected_haproxy" ]; then
                break
            fi
        fi
        if ! matrix_alive "$SUPERVISOR_PID"; then
            STEP_ERROR="the supervisor exited before it was ready"
            return 1
        fi
        if [ "$waited" -ge $((READY_TIMEOUT * 20)) ]; then
            STEP_ERROR="not ready after ${READY_TIMEOUT}s"
            return 1
        fi
        sleep 0.05
        waited=$((waited + 1))
    done

    mapfile -t SERVER_PIDS < <(awk '$1 == "server" { print $3 }' \
        "$WORK/ready")
    mapfile -t HAPROXY_PIDS < <(awk '$1 == "haproxy" { print $3 }' \
        "$WORK/ready")
    for pid in "${SERVER_PIDS[@]}" "${HAPROXY_PIDS[@]}"; do
        STACK_PIDS+=("$pid:$(matrix_start_time "$pid")")
    done
    for pid in "${SERVER_PIDS[@]}"; do note_pid server "$pid"; done
    for pid in "${HAPROXY_PIDS[@]}"; do note_pid haproxy "$pid"; done

    TARGET_PORT=$PORT
    [ "$front" = direct ] && TARGET_PORT=$BASE_PORT
    return 0
}

# A server that died during the step was restarted by the supervisor: its
# CPU time is lost and its requests failed, so the step cannot count.
servers_still_up() {
    local entry pid
    for entry in "${STACK_PIDS[@]}"; do
        pid=${entry%%:*}
        if ! matrix_alive "$pid" ||
            [ "$(matrix_start_time "$pid")" != "${entry#*:}" ]; then
            STEP_ERROR="PID $pid (server or haproxy) died during the step"
            return 1
        fi
    done
}

show_log_tail() {
    local file
    for file in "$@"; do
        [ -s "$file" ] || continue
        say "last lines of $(basename "$file"):"
        tail -n 8 "$file" | sed 's/^/    /' >&2
    done
}

# One run of the bench against the running stack, its rows appended to
# $WORK/bench.tsv (the header once) and to the .runs.tsv with the CPU time
# haproxy and the servers used meanwhile. Each run is its own invocation,
# as the original's were: a fresh user each time, so that runs never
# collide nor add up against a user's quota, and CPU readings around each
# run. Sets RUN_ERROR and returns 1 when the run failed.
run_bench_once() {
    local front=$1 procs=$2 action=$3 amount=$4 size=$5
    local haproxy_before servers_before haproxy_ns servers_ns status
    RUN_ERROR=""

    haproxy_before=$(matrix_cpu_ns "${HAPROXY_PIDS[@]}")
    servers_before=$(matrix_cpu_ns "${SERVER_PIDS[@]}")
    "$BIN_DIR/blobs-bench" "--$action" "$amount" "$size" \
        --url "http://127.0.0.1:$TARGET_PORT" --connections "$CONNECTIONS" \
        --format tsv --procs "$procs" "${BENCH_OPTIONS[@]}" \
        </dev/null >"$WORK/run.tsv" 2>>"$WORK/bench.log" &
    BENCH_PID=$!
    note_pid bench "$BENCH_PID"
    if wait_bounded "$BENCH_PID" "$RUN_TIMEOUT"; then
        status=$WAIT_STATUS
    else
        stop_child "$BENCH_PID" 5
        status=timeout
    fi
    BENCH_PID=""
    haproxy_ns=$(($(matrix_cpu_ns "${HAPROXY_PIDS[@]}") - haproxy_before))
    servers_ns=$(($(matrix_cpu_ns "${SERVER_PIDS[@]}") - servers_before))
    HAPROXY_NS=$((HAPROXY_NS + haproxy_ns))
    SERVERS_NS=$((SERVERS_NS + servers_ns))

    if [ "$(wc -l <"$WORK/run.tsv")" -ge 2 ]; then
        [ -s "$WORK/bench.tsv" ] || head -n 1 "$WORK/run.tsv" >"$WORK/bench.tsv"
        if [ ! -s "$RUNS" ]; then
            printf 'front\tstack_procs\thaproxy_cpu_s\tservers_cpu_s\t%s\n' \
                "$(head -n 1 "$WORK/run.tsv")" >"$RUNS"
        fi
        tail -n +2 "$WORK/run.tsv" | grep -v '^$' | tee -a "$WORK/bench.tsv" |
            awk -v prefix="$front\t$procs" -v haproxy="$haproxy_ns" \
                -v servers="$servers_ns" '{
                printf "%s\t%.6f\t%.6f\t%s\n", prefix, haproxy / 1e9,
                    servers / 1e9, $0
            }' >>"$RUNS"
    fi

    case "$status" in
    0) return 0 ;;
    timeout) RUN_ERROR="bench still running after ${RUN_TIMEOUT}s: stopped" ;;
    1) RUN_ERROR="bench: some operations failed" ;;
    *) RUN_ERROR="bench exited with status $status" ;;
    esac
    return 1
}

# One step: a fresh stack, REPEAT runs of the bench, one results row.
# Sets STEP_RESULT (what it measured) and, when the step failed, returns 1
# with STEP_ERROR saying why and STEP_LOGS naming the logs to show.
run_step() {
    local front=$1 procs=$2 action=$3 amount=$4 size=$5
    local row failed=0 run
    STEP_ERROR=""
    STEP_RESULT=""
    STEP_LOGS=("$WORK/supervisor.log")
    rm -f "$WORK/bench.tsv" "$WORK/bench.log"

    if ! start_stack "$front" "$procs"; then
        stop_stack
        STEP_RESULT="FAILED"
        return 1
    fi
    STEP_LOGS+=("$WORK/bench.log")

    HAPROXY_NS=0
    SERVERS_NS=0
    for run in $(seq "$REPEAT"); do
        if ! run_bench_once "$front" "$procs" "$action" "$amount" "$size"
        then
            STEP_ERROR="run $run: $RUN_ERROR"
            failed=1
            # A run that hung says the stack is stuck: the others would
            # hang as well.
            case "$RUN_ERROR" in *"still running"*) break ;; esac
        fi
    done

    servers_still_up || failed=1
    stop_stack
    if [ -n "$STACK_PROBLEM" ]; then
        STEP_ERROR="${STEP_ERROR:+$STEP_ERROR; }$STACK_PROBLEM"
        failed=1
    fi

    # Whatever the bench measured is kept, failed or not: its errors
    # column says how far to trust it.
    if [ -s "$WORK/bench.tsv" ] &&
        row=$(matrix_aggregate "$WORK/bench.tsv"); then
        record_row "$front" "$procs" "$action" "$amount" "$size" "$row" \
            "$HAPROXY_NS" "$SERVERS_NS"
        STEP_RESULT=$ROW_SUMMARY
    else
        STEP_ERROR="${STEP_ERROR:+$STEP_ERROR; }no results from the bench"
        failed=1
    fi

    if [ "$failed" = 1 ]; then
        STEP_RESULT="FAILED${STEP_RESULT:+ | $STEP_RESULT}"
        return 1
    fi
    return 0
}

# Append one row to the .tsv (and the .txt for the main front) and sum
# it up for the progress line in ROW_SUMMARY.
record_row() {
    local front=$1 procs=$2 action=$3 amount=$4 size=$5 client=$6
    local haproxy_ns=$7 servers_ns=$8
    local repeats mean stdev min max ops ops_stdev p50 p99 errors
    local client_cpu wall bound haproxy_cpu servers_cpu

    IFS=$'\t' read -r repeats mean stdev min max ops ops_stdev p50 p99 \
        errors client_cpu wall bound <<<"$client"
    haproxy_cpu=$(awk -v ns="$haproxy_ns" 'BEGIN { printf "%.6f", ns / 1e9 }')
    servers_cpu=$(awk -v ns="$servers_ns" 'BEGIN { printf "%.6f", ns / 1e9 }')

    printf '%s\t%d\t%s\t%d\t%d\t%d\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t' \
        "$front" "$procs" "$action" "$amount" "$size" "$CONNECTIONS" \
        "$repeats" "$mean" "$stdev" "$min" "$max" "$ops" "$ops_stdev" \
        "$p50" "$p99" >>"$TSV"
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$errors" "$client_cpu" \
        "$haproxy_cpu" "$servers_cpu" "$wall" "$bound" >>"$TSV"
    if [ "$front" = "$MAIN_FRONT" ]; then
        printf '%d %s %d %d %s\n' "$procs" "$action" "$amount" "$size" \
            "$mean" >>"$TXT"
    fi


    ROW_SUMMARY=$(awk -v mean="$mean" -v stdev="$stdev" -v ops="$ops" \
        -v client="$client_cpu" -v haproxy="$haproxy_cpu" \
        -v servers="$servers_cpu" -v wall="$wall" -v errors="$errors" \
        -v bound="$bound" 'BEGIN {
        w = wall > 0 ? wall : 1
        printf "%.4fs ±%.0f%% %.0f op/s | cores: client %.2f", mean,
            (mean > 0 ? 100 * stdev / mean : 0), ops, client / w
        printf " haproxy %.2f servers %.2f", haproxy / w, servers / w
        if (errors > 0) printf " | %d ERRORS", errors
        if (bound) printf " | CLIENT-BOUND"
    }')
}

main() {
    local index failures=0 step front procs action amount size total
    local start left passed plot_status=0

    check_parameters
    trap cleanup EXIT
    trap 'on_signal 130' INT
    trap 'on_signal 143' TERM

    prepare
    check_ports
    choose_results_name
    plan_steps
    MAIN_FRONT=$(main_front)
    WORK=$(mktemp -d "$BLOB_PARENT/blobs-matrix.XXXXXX") || exit 2
    total=${#STEPS[@]}

    say "$total steps: fronts $FRONTS; procs $PROCS; actions $ACTIONS;" \
        "scenarios $SCENARIOS; $REPEAT runs each, $CONNECTIONS connections"
    if [ "${#SKIPPED[@]}" -gt 0 ]; then
        say "direct is measured with 1 process only (it sends the load to" \
            "one port): skipped for ${SKIPPED[*]} processes"
    fi
    say "results: $TXT (front $MAIN_FRONT), $TSV (every front)"
    printf '%s\n' "$TSV_HEADER" | tr ' ' '\t' >"$TSV"
    : >"$TXT"

    start=$SECONDS
    for index in "${!STEPS[@]}"; do
        step=${STEPS[$index]}
        read -r front procs action amount size <<<"$step"
        passed=1
        run_step "$front" "$procs" "$action" "$amount" "$size" || passed=0

        # The time left assumes the steps to come take as long as those
        # done: the loops mix the scenarios, so the mean settles soon.
        left=$(((SECONDS - start) * (total - index - 1) / (index + 1)))
        printf '[%*d/%d %s, ~%s left] %s %dp %s %sx%s | %s\n' \
            "${#total}" $((index + 1)) "$total" \
            "$(duration $((SECONDS - start)))" "$(duration "$left")" \
            "$front" "$procs" "$action" "$amount" "$size" "$STEP_RESULT"
        if [ "$passed" = 0 ]; then
            failures=$((failures + 1))
            say "step failed: $STEP_ERROR"
            show_log_tail "${STEP_LOGS[@]}"
        fi
    done

    say "done in $(duration $((SECONDS - start))): $total steps," \
        "$failures failed"
    if [ "$(wc -l <"$TSV")" -le 1 ]; then
        say "no results at all: removing the empty results files"
        rm -f "$TXT" "$TSV" "$RUNS"
        exit 1
    fi
    say "results: $TXT $TSV"

    if [ "$PLOT" = 1 ]; then
        /usr/bin/python3 "$TOP/tools/plot.py" "$TXT" --out-dir "$PLOTS_DIR" \
            || plot_status=1
    fi
    [ "$failures" -eq 0 ] && [ "$plot_status" -eq 0 ]
}

main "$@"
