#!/usr/bin/env bash
# The whole stack through the supervisor, with haproxy in front and with
# SO_REUSEPORT: every action of ./blobs-bench succeeds and every process
# serves some of it; a server killed with SIGKILL under load is back
# within about a second, and the client sees errors only for the
# requests that were in flight on it (counted and reported); SIGHUP under
# load through haproxy loses no request; SIGTERM leaves no PID behind.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tools/supervisor-lib.sh"

BENCH=$BIN_DIR/blobs-bench
ROOT=$TEST_TMP/root
PROCS=4
# Enough connections that SO_REUSEPORT's hash leaves no process without
# one: the chance that one of 4 gets none of 48 is 4 x (3/4)^48, 1e-5.
CONNECTIONS=48
AMOUNT=200
BASELINE_AMOUNT=2000
# Closed-loop connections of the load that runs while a server dies: at
# most this many requests are in flight at once.
LOAD_CONNECTIONS=8
mkdir -p "$ROOT"

# The PID of server number N (from 1) in a ready file.
server_pid() {
    awk '$1 == "server"' "$1" | sed -n "$2p" | cut -d' ' -f3
}


# column NAME FILE: a column of the bench's TSV output by its header.
column() {
    awk -F'\t' -v name="$1" '
        NR == 1 { for (i = 1; i <= NF; i++) if ($i == name) c = i }
        NR == 2 { print $c }' "$2"
}

# served LOG FROM PATTERN: requests per process in the access lines of
# LOG past line FROM whose request matches PATTERN, as "PREFIX COUNT".
served() {
    tail -n +"$(($2 + 1))" "$1" | grep ': access ' | grep -- "$3" |
        cut -d: -f1 | sort | uniq -c | awk '{ print $2, $1 }'
}

# each_served WHAT COUNTS MIN PREFIX...: every prefix served MIN or more.
each_served() {
    local what=$1 counts=$2 min=$3 prefix count
    shift 3
    for prefix; do
        count=$(echo "$counts" | awk -v p="$prefix" '$1 == p { print $2 }')
        check "$what: process $prefix served ${count:-0} (at least $min)" \
            [ "${count:-0}" -ge "$min" ]
    done
}

run_stack() {
    local front=$1 base port ready log prefixes action user mark out
    local amount min pattern victim old new start elapsed_ms errors
    local requests retries initial killed_pids line

    base=$(free_port_range "$PROCS")
    port=$(free_port)
    ready=$TEST_TMP/ready-$front
    log=$TEST_TMP/$front.log
    start_supervisor "$front" --procs "$PROCS" --front "$front" \
        --port "$port" --base-port "$base" --dir "$ROOT" \
        --ready-file "$ready" --server-arg --access-log
    check "$front: ready" wait_ready "$front" || return
    initial=$(ready_pids "$ready")

    prefixes=()
    for i in $(seq "$PROCS"); do
        if [ "$front" = reuseport ]; then
            prefixes+=("$port#$i")
        else
            prefixes+=($((base + i - 1)))
        fi
    done
    if [ "$front" = haproxy ]; then
        line="^ready: $PROCS servers on 127.0.0.1:$base-$((base + PROCS - 1)),"
        check "$front: the ready line names haproxy" grep -q \
            "$line haproxy on 127.0.0.1:$port (pids" "$TEST_TMP/$front.out"
        check "$front: haproxy's PID is in the ready file" \
            grep -qE "^haproxy $port [0-9]+$" "$ready"
    else
        line="^ready: $PROCS servers on 127.0.0.1:$port with SO_REUSEPORT"
        check "$front: the ready line names the shared port" grep -q \
            "$line (pids" "$TEST_TMP/$front.out"
    fi

    # Every action works, and every process serves some of it. Health
    # checks also ask for "GET /", a few a second: the baseline's bar is
    # set well above them.
    for action in baseline list put get flag delete; do
        user=${front}_$action
        out=$TEST_TMP/$front-$action.tsv
        mark=$(wc -l <"$log")
        if [ "$action" = baseline ]; then
            amount=$BASELINE_AMOUNT
            pattern='"GET /"'
            min=$((BASELINE_AMOUNT / PROCS / 10))
        else
            amount=$AMOUNT
            pattern="/blobs/$user/"
            min=1
        fi
        "$BENCH" "--$action" "$amount" 1 --url "http://127.0.0.1:$port" \
            --user "$user" -c "$CONNECTIONS" --format tsv \
            >"$out" 2>>"$TEST_TMP/bench.log"
        expect_eq "$front $action: bench status" 0 "$?"
        expect_eq "$front $action: operations" "$amount" \
            "$(column operations "$out")"
        expect_eq "$front $action: errors" 0 "$(column errors "$out")"
        sleep 0.1
        each_served "$front $action" "$(served "$log" "$mark" "$pattern")" \
            "$min" "${prefixes[@]}"
    done

    # SIGKILL on server 2 while a client runs.
    out=$TEST_TMP/$front-kill.tsv
    "$BENCH" --put 0 1 --duration 4 --url "http://127.0.0.1:$port" \
        --user "${front}_kill" -c "$LOAD_CONNECTIONS" --format tsv \
        >"$out" 2>>"$TEST_TMP/bench.log" &
    local bench_pid=$!
    STARTED_PIDS+=("$bench_pid")
    sleep 1.5
    old=$(server_pid "$ready" 2)
    start=$(date +%s%N)
    kill -KILL "$old"
    new=$old
    for _ in $(seq 100); do
        new=$(server_pid "$ready" 2)
        [ -n "$new" ] && [ "$new" != "$old" ] && break
        sleep 0.02
    done
    elapsed_ms=$((($(date +%s%N) - start) / 1000000))
    killed_pids="$old $new"
    check "$front kill: server 2 has a new PID" [ "$new" != "$old" ]
    check "$front kill: ... within 1.5 s (took $elapsed_ms ms)" \
        [ "$elapsed_ms" -lt 1500 ]
    wait "$bench_pid"
    errors=$(column errors "$out")
    retries=$(column retries "$out")
    requests=$(column requests "$out")
    echo "$front: kill -9 of a server under load: back after $elapsed_ms ms;" \
        "of $requests requests the client saw $errors fail and sent" \
        "$retries again after a connection closed under them" \
        "($LOAD_CONNECTIONS connections)"
    if [ "$front" = haproxy ]; then
        # haproxy logs each request it sent again to another server, in
        # flight on the dead one or refused by it: "+N" in its retries.
        echo "$front: haproxy sent $(grep -cE \
            "^haproxy: .*/\+[0-9]+ [0-9]+/[0-9]+ \"PUT /blobs/${front}_kill/" \
            "$log") of them to another server itself"
    fi
    check "$front kill: the client went on ($requests requests)" \
        [ "${requests:-0}" -ge 100 ]
    # Closed loop: each connection has one request out at most, so no
    # more than LOAD_CONNECTIONS can have been in flight on the victim.
    line="$errors failed, $retries sent again, at most $LOAD_CONNECTIONS"
    check "$front kill: only requests in flight were hit ($line)" \
        [ $((${errors:-99} + ${retries:-99})) -le "$LOAD_CONNECTIONS" ]

    # SIGHUP while a client runs: through haproxy, no request is lost.
    out=$TEST_TMP/$front-hup.tsv
    local before_hup
    before_hup=$(awk '$1 == "server" { print $3 }' "$ready")
    "$BENCH" --put 0 1 --duration 8 --url "http://127.0.0.1:$port" \
        --user "${front}_hup" -c "$LOAD_CONNECTIONS" --format tsv \
        >"$out" 2>>"$TEST_TMP/bench.log" &
    bench_pid=$!
    STARTED_PIDS+=("$bench_pid")
    sleep 1
    kill -HUP "$SUPERVISOR_PID"
    wait "$bench_pid"
    check "$front hup: every server restarted during the load" \
        grep -q "SIGHUP: all $PROCS servers restarted" "$log"
    for pid in $before_hup; do
        check "$front hup: pid $pid was replaced" running_not "$pid"
    done
    errors=$(column errors "$out")
    retries=$(column retries "$out")
    requests=$(column requests "$out")
    echo "$front: SIGHUP under load: of $requests requests the client saw" \
        "$errors fail and sent $retries again"
    check "$front hup: the client went on ($requests requests)" \
        [ "${requests:-0}" -ge 100 ]
    if [ "$front" = haproxy ]; then
        expect_eq "$front hup: no request lost" 0 "$errors"
        expect_eq "$front hup: none even needed sending again" 0 "$retries"
    fi

    # haproxy itself is a child like the others: killed, it comes back
    # on the same config.
    local haproxy_pid=""
    if [ "$front" = haproxy ]; then
        old=$(awk '$1 == "haproxy" { print $3 }' "$ready")
        kill -KILL "$old"
        new=$old
        for _ in $(seq 75); do
            new=$(awk '$1 == "haproxy" { print $3 }' "$ready")
            [ -n "$new" ] && [ "$new" != "$old" ] && break
            sleep 0.02
        done
        haproxy_pid="$old $new"
        check "$front: a killed haproxy is back within 1.5 s" \
            [ "$new" != "$old" ]
        "$BENCH" --get 50 1 --url "http://127.0.0.1:$port" \
            >>"$TEST_TMP/bench.log" 2>&1
        expect_eq "$front: requests go through the new haproxy" 0 "$?"
    fi

    # SIGTERM: status 0 and every PID it ever started is gone.
    local last
    last=$(ready_pids "$ready")
    kill -TERM "$SUPERVISOR_PID"
    wait_exit "$SUPERVISOR_PID" 20
    expect_eq "$front: status after SIGTERM" 0 "$STATUS"
    # shellcheck disable=SC2086
    check "$front: every PID it started is gone" \
        all_gone $initial $killed_pids $before_hup $haproxy_pid $last
    check "$front: the ready file is removed" [ ! -e "$ready" ]
}

running_not() {
    ! running "$1"
}

run_stack haproxy
run_stack reuseport

# The original's TCP balancing through the supervisor.
base=$(free_port_range 2)
port=$(free_port)
start_supervisor tcp --procs 2 --front haproxy --haproxy-variant tcp \
    --port "$port" --base-port "$base" --dir "$ROOT"
check "tcp: ready" wait_ready tcp
check "tcp: the ready line names the variant" \
    grep -q "haproxy (tcp) on 127.0.0.1:$port" "$TEST_TMP/tcp.out"
"$BENCH" --get 100 4 --url "http://127.0.0.1:$port" -c 4 \
    >"$TEST_TMP/tcp-bench.out" 2>&1
expect_eq "tcp: get through haproxy in TCP mode" 0 "$?"
kill -TERM "$SUPERVISOR_PID"
wait_exit "$SUPERVISOR_PID" 20
expect_eq "tcp: status after SIGTERM" 0 "$STATUS"

finish
