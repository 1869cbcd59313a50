#!/usr/bin/env bash
# The matrix runner, tools/test-matrix.sh, end to end with the real
# supervisor, servers, haproxy and bench on free ports: a small matrix
# leaves results files with the right rows and valid figures; a second one
# with two fronts keeps the first front in the .txt and skips direct for
# more than one process; interrupted with SIGINT (as Ctrl-C does) or
# SIGTERM in the middle of a run, it leaves no process it started. The
# results arithmetic is checked on bench rows written by hand.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tools/supervisor-lib.sh"
source "$TOP/tools/matrix-lib.sh"

MATRIX="$TOP/tools/test-matrix.sh"
TSV_HEADER="front procs action amount size_kib connections repeats mean_s"
TSV_HEADER+=" stdev_s min_s max_s ops_per_s ops_per_s_stdev lat_p50_us"
TSV_HEADER+=" lat_p99_us errors client_cpu_s haproxy_cpu_s servers_cpu_s"
TSV_HEADER+=" wall_s client_bound"
TSV_HEADER=$(tr ' ' '\t' <<<"$TSV_HEADER")


is_png() {
    [ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ]
}

# A PID is gone when /proc no longer has it running, or when the kernel
# has given it to a process that started later ("-": the process had
# ended by the time its PID was noted).
gone() {
    local pid=$1 start=$2
    [ "$start" = - ] || ! matrix_alive "$pid" ||
        [ "$(matrix_start_time "$pid")" != "$start" ]
}

# run_matrix NAME [VAR=value...]: the matrix on free ports into
# $TEST_TMP/NAME/{results,plots}, with the binaries of BIN_DIR and every
# PID it starts in $TEST_TMP/NAME/pids. Sets MATRIX_STATUS.
run_matrix() {
    local name=$1 port
    shift
    # The front's port, then the servers' (2 at most here).
    port=$(free_port_range 3)
    mkdir -p "$TEST_TMP/$name/blobs"
    env BIN_DIR="$BIN_DIR" BUILD=0 INSTALL=0 PORT="$port" \
        BASE_PORT=$((port + 1)) RESULTS_DIR="$TEST_TMP/$name/results" \
        PLOTS_DIR="$TEST_TMP/$name/plots" PID_LOG="$TEST_TMP/$name/pids" \
        BLOB_PARENT="$TEST_TMP/$name/blobs" "$@" \
        bash "$MATRIX" >"$TEST_TMP/$name.out" 2>&1
    MATRIX_STATUS=$?
    cat "$TEST_TMP/$name.out"
}

# Every process that the PID log names is gone, and so is the work folder.
# One that is not has failed the test, and is killed so as not to outlive
# it.
check_nothing_left() {
    local name=$1 what pid start
    while read -r what pid start; do
        if ! check "$name: $what $pid is gone" gone "$pid" "$start"; then
            kill -KILL "$pid" 2>/dev/null
        fi
    done <"$TEST_TMP/$name/pids"
    expect_eq "$name: the blob roots are removed" "" \
        "$(ls -A "$TEST_TMP/$name/blobs")"
}

for binary in supervisor blobs-server blobs-bench; do
    check "$BIN_DIR/$binary exists (make all)" [ -x "$BIN_DIR/$binary" ] ||
        { finish; exit 1; }
done

# --- the arithmetic, on bench rows written by hand ---
{
    printf 'version\taction\tseconds\tops_per_s\tlat_p50_us\tlat_p99_us'
    printf '\terrors\tcpu_user_s\tcpu_sys_s\tthreads\textra\n'
    printf 'x\tput\t1.0\t100\t200\t900\t0\t0.5\t0.1\t1\tz\n'
    printf 'x\tput\t2.0\t50\t300\t1100\t2\t0.9\t0.1\t1\tz\n'
    printf 'x\tput\t3.0\t40\t400\t1300\t1\t1.4\t0.2\t1\tz\n'
} >"$TEST_TMP/bench-rows.tsv"
# mean 2 s, sample deviation 1 s; ops 63.3 +- 32.1; 3 errors; 3.2 CPU s
# in 6 s: 0.53 of a core, not client-bound.
expected="3 2.000000 1.000000 1.000000 3.000000 63.3 32.1 300 1100 3"
expected+=" 3.200000 6.000000 0"
expect_eq "aggregate of three runs" "$expected" \
    "$(matrix_aggregate "$TEST_TMP/bench-rows.tsv" | tr '\t' ' ')"
sed -i 's/\t1\.4\t0\.2\t/\t4.4\t0.2\t/' "$TEST_TMP/bench-rows.tsv"
expect_eq "6.2 CPU s in 6 s is client-bound" 1 \
    "$(matrix_aggregate "$TEST_TMP/bench-rows.tsv" | cut -f 13)"
head -n 1 "$TEST_TMP/bench-rows.tsv" >"$TEST_TMP/no-rows.tsv"
check "no row is an error" not matrix_aggregate "$TEST_TMP/no-rows.tsv"

machine=$(matrix_machine_name "$TEST_TMP")
check "machine name <cpu>_<N>GB-RAM_<disk>: $machine" \
    grep -qE '^[A-Za-z0-9@._+-]+_[0-9]+GB-RAM_[A-Za-z0-9@._+-]+$' <<<"$machine"

# --- a small matrix: 2 process counts x 2 actions x 1 tiny scenario ---
run_matrix small PROCS="1 2" ACTIONS="baseline put" SCENARIOS="20x1" \
    REPEAT=1
expect_eq "small matrix: exit status" 0 "$MATRIX_STATUS"
txt=$(ls "$TEST_TMP/small/results/"*.txt 2>/dev/null)
name=$(basename "$txt" .txt)
check "small matrix: results named <date>_<machine>: $name" \
    grep -qE "^[0-9]{4}-[0-9]{2}-[0-9]{2}_${machine}\$" <<<"$name"
expect_eq "small matrix: the .txt rows" \
    "1 baseline 20 1|1 put 20 1|2 baseline 20 1|2 put 20 1" \
    "$(awk '{ print $1, $2, $3, $4 }' "$txt" | paste -sd '|')"
check "small matrix: every mean is a positive number" \
    awk 'NF != 5 || $5 !~ /^[0-9.]+$/ || $5 <= 0 { exit 1 }' "$txt"

tsv="$TEST_TMP/small/results/$name.tsv"
expect_eq "small matrix: the .tsv header" "$TSV_HEADER" "$(head -n 1 "$tsv")"
expected="haproxy 1 baseline 20 1 1|haproxy 1 put 20 1 1"
expected+="|haproxy 2 baseline 20 1 1|haproxy 2 put 20 1 1"
expect_eq "small matrix: the .tsv rows" "$expected" \
    "$(awk -F '\t' 'NR > 1 { print $1, $2, $3, $4, $5, $7 }' "$tsv" |
        paste -sd '|')"
# No errors; the client, haproxy and the servers all used some CPU; the
# mean is the .txt's.
check "small matrix: no errors, CPU measured for every part" \
    awk -F '\t' 'NR > 1 && ($16 != 0 || $17 <= 0 || $18 <= 0 ||
        $19 <= 0 || $20 <= 0 || NF != 21) { exit 1 }' "$tsv"
expect_eq "small matrix: the .txt means are the .tsv's" \
    "$(awk '{ print $5 }' "$txt")" \
    "$(awk -F '\t' 'NR > 1 { print $8 }' "$tsv")"
expect_eq "small matrix: one bench row per run in .runs.tsv" 4 \
    "$(tail -n +2 "$TEST_TMP/small/results/$name.runs.tsv" | wc -l)"
for figure in "$name" "$name-latency" "$name-cpu"; do
    check "small matrix: $figure.png is a PNG" \
        is_png "$TEST_TMP/small/plots/$figure.png"
done
check "small matrix: no fronts figure for one front" \
    [ ! -e "$TEST_TMP/small/plots/$name-fronts.png" ]
check "small matrix: no text cut off or overlapping in the figures" \
    not grep -E 'runs off the figure|overlap' "$TEST_TMP/small.out"
check_nothing_left small

# --- three fronts: reuseport first, so the .txt holds reuseport; direct ---
# --- only for 1 process; haproxy balancing connections ---
run_matrix fronts PROCS="1 2" FRONTS="reuseport direct haproxy-tcp" \
    ACTIONS="get" SCENARIOS="10x4" REPEAT=2
expect_eq "three fronts: exit status" 0 "$MATRIX_STATUS"
tsv=$(find "$TEST_TMP/fronts/results" -name '*.tsv' ! -name '*.runs.tsv')
expected="reuseport 1 get 2|reuseport 2 get 2|direct 1 get 2"
expected+="|haproxy-tcp 1 get 2|haproxy-tcp 2 get 2"
expect_eq "three fronts: the .tsv rows" "$expected" \
    "$(awk -F '\t' 'NR > 1 { print $1, $2, $3, $7 }' "$tsv" |
        paste -sd '|')"
expect_eq "three fronts: haproxy CPU only where haproxy ran" \
    "0 0 0 1 1" \
    "$(awk -F '\t' 'NR > 1 { print ($18 > 0) }' "$tsv" | paste -sd ' ')"
expect_eq "three fronts: the .txt holds the first front" "1 get|2 get" \
    "$(awk '{ print $1, $2 }' "${tsv%.tsv}.txt" | paste -sd '|')"
check "three fronts: direct skipped for 2 processes, said so" \
    grep -q 'direct is measured with 1 process only' "$TEST_TMP/fronts.out"
check "three fronts: the fronts figure" \
    is_png "$TEST_TMP/fronts/plots/$(basename "${tsv%.tsv}")-fronts.png"
check "three fronts: no text cut off or overlapping in the figures" \
    not grep -E 'runs off the figure|overlap' "$TEST_TMP/fronts.out"
check_nothing_left fronts

# --- refused before anything starts ---
run_matrix bad-scenario SCENARIOS="1000"
expect_eq "a scenario without x: exit status" 2 "$MATRIX_STATUS"
check "the message names it" \
    grep -q "SCENARIOS: '1000' is not AMOUNTxKIB" "$TEST_TMP/bad-scenario.out"

# A server left over on the front's port would take the load: refused.
busy=$(free_port_range 3)
mkdir -p "$TEST_TMP/busy-root"
start_server "$TEST_TMP/busy-root" "$busy"
env BIN_DIR="$BIN_DIR" BUILD=0 INSTALL=0 PORT="$busy" \
    BASE_PORT=$((busy + 1)) RESULTS_DIR="$TEST_TMP/busy/results" \
    PID_LOG="$TEST_TMP/busy-pids" bash "$MATRIX" >"$TEST_TMP/busy.out" 2>&1
expect_eq "a port in use: exit status" 2 "$?"
check "the message names the port" \
    grep -q "port $busy is in use" "$TEST_TMP/busy.out"
check "nothing started" [ ! -s "$TEST_TMP/busy-pids" ]
stop_server "$SERVER_PID"

# --- interrupted in the middle of a run ---
# interrupt NAME SIGNAL TARGET: start a matrix whose one run lasts long,
# wait until its bench runs, note every process below the matrix, then
# send SIGNAL to the matrix alone (TARGET=pid) or to its whole process
# group as a terminal's Ctrl-C does (TARGET=group). The matrix must stop
# within its stop timeouts, and every process must be gone.
interrupt() {
    local name=$1 signal=$2 target=$3 port matrix_pid pid waited status i
    local -a below=() starts=()
    port=$(free_port_range 3)
    mkdir -p "$TEST_TMP/$name/blobs"
    : >"$TEST_TMP/$name/pids"

    # Job control gives the matrix its own process group, and a
    # background job of a script would otherwise ignore SIGINT.
    set -m
    env BIN_DIR="$BIN_DIR" BUILD=0 INSTALL=0 PLOT=0 PORT="$port" \
        BASE_PORT=$((port + 1)) RESULTS_DIR="$TEST_TMP/$name/results" \
        PID_LOG="$TEST_TMP/$name/pids" BLOB_PARENT="$TEST_TMP/$name/blobs" \
        PROCS=2 ACTIONS=baseline SCENARIOS=3000000x1 REPEAT=3 \
        RUN_TIMEOUT=60 bash "$MATRIX" >"$TEST_TMP/$name.out" 2>&1 &
    matrix_pid=$!
    set +m
    STARTED_PIDS+=("$matrix_pid")

    waited=0
    until grep -q '^bench ' "$TEST_TMP/$name/pids"; do
        if [ "$waited" -ge 200 ] || ! matrix_alive "$matrix_pid"; then
            check "$name: the bench started" false
            cat "$TEST_TMP/$name.out"
            return
        fi
        sleep 0.05
        waited=$((waited + 1))
    done
    sleep 0.5

    mapfile -t below < <(matrix_descendants "$matrix_pid")
    for pid in "${below[@]}"; do
        starts+=("$(matrix_start_time "$pid")")
    done
    check "$name: the bench still runs when interrupted" \
        matrix_alive "$(awk '$1 == "bench" { print $2 }' \
            "$TEST_TMP/$name/pids")"
    check "$name: a supervisor, servers and a bench below the matrix" \
        [ "${#below[@]}" -ge 4 ]

    if [ "$target" = group ]; then
        kill -"$signal" -- -"$matrix_pid"
    else
        kill -"$signal" "$matrix_pid"
    fi
    # Its own timeouts bound how long the matrix may take to stop.
    waited=0
    while matrix_alive "$matrix_pid" && [ "$waited" -lt 600 ]; do
        sleep 0.05
        waited=$((waited + 1))
    done
    check "$name: the matrix stopped within 30 s" not matrix_alive \
        "$matrix_pid"
    kill -KILL "$matrix_pid" 2>/dev/null
    wait "$matrix_pid"
    status=$?
    expect_eq "$name: exit status after SIG$signal" \
        "$([ "$signal" = INT ] && echo 130 || echo 143)" "$status"
    cat "$TEST_TMP/$name.out"

    for i in "${!below[@]}"; do
        if ! check "$name: PID ${below[$i]} started below the matrix is gone" \
            gone "${below[$i]}" "${starts[$i]}"; then
            kill -KILL "${below[$i]}" 2>/dev/null
        fi
    done
    check_nothing_left "$name"
    expect_eq "$name: no empty results files left for make plot" "" \
        "$(ls -A "$TEST_TMP/$name/results")"
}

interrupt ctrl-c INT group
interrupt sigterm TERM pid

finish
