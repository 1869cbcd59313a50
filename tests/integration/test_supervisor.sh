#!/usr/bin/env bash
# The supervisor's life cycle with --front none: the ready line and file,
# output merged under port prefixes, a killed server back within about a
# second, SIGHUP restarting servers one at a time, SIGTERM leaving no
# process behind, children dying with a supervisor killed by SIGKILL, and
# the clear failures: a server that exits at once, one that cannot
# listen, a port already in use, a start that never ends, a server that
# ignores SIGTERM. Servers are real blobs-server processes, except where
# a small script plays a broken one.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tools/supervisor-lib.sh"

ROOT=$TEST_TMP/root
mkdir -p "$ROOT"

pid_of_port() {
    awk -v port="$2" '$1 == "server" && $2 == port { print $3 }' "$1"
}

# absent PATTERN FILE: no line of FILE matches.
absent() {
    ! grep -q -- "$1" "$2"
}

port_free() {
    /usr/bin/python3 -c "import socket
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', $1))" 2>/dev/null
}

http_status() {
    curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$1"
}

# N consecutive ports that nothing listens on; prints the first.

# fake_server NAME BODY: a script that plays a server; BODY sees the port
# (the last argument) in $port.
fake_server() {
    cat >"$TEST_TMP/$1" <<EOF
#!/bin/sh
eval "port=\\\${\$#}"
$2
EOF
    chmod +x "$TEST_TMP/$1"
    echo "$TEST_TMP/$1"
}

# --- usage ------------------------------------------------------------------

"$SUPERVISOR" --help >"$TEST_TMP/help.out" 2>&1
expect_eq "--help: status" 0 "$?"
check "--help names --front" grep -q -- '--front' "$TEST_TMP/help.out"
"$SUPERVISOR" --procs 0 >"$TEST_TMP/usage.out" 2>&1
expect_eq "--procs 0: status" 2 "$?"
check "--procs 0: says why" grep -q 'procs must be 1 to 64' \
    "$TEST_TMP/usage.out"

# --- three servers on their own ports ---------------------------------------

BASE=$(free_port_range 3)
READY=$TEST_TMP/ready
start_supervisor none --procs 3 --front none --base-port "$BASE" \
    --dir "$ROOT" --ready-file "$READY" --server-arg --access-log
check "none: ready" wait_ready none

expect_eq "none: one ready line" 1 "$(grep -c . "$TEST_TMP/none.out")"
line="^ready: 3 servers on 127\.0\.0\.1:$BASE-$((BASE + 2))"
line="$line \(pids [0-9]+ [0-9]+ [0-9]+\)$"
check "none: the ready line says what is up and where" grep -qE "$line" \
    "$TEST_TMP/none.out"
expect_eq "none: the ready file starts with the ready line" \
    "$(cat "$TEST_TMP/none.out")" "$(head -n 1 "$READY")"
expect_eq "none: the ready file lists each server's port" \
    "$BASE $((BASE + 1)) $((BASE + 2))" \
    "$(awk '$1 == "server" { print $2 }' "$READY" | tr '\n' ' ' | sed 's/ $//')"
expect_eq "none: the ready line's PIDs are the file's" \
    "$(grep -oE '[0-9]+ [0-9]+ [0-9]+\)' "$TEST_TMP/none.out" | tr -d ')')" \
    "$(ready_pids "$READY" | tr '\n' ' ' | sed 's/ $//')"

for i in 0 1 2; do
    port=$((BASE + i))
    pid=$(pid_of_port "$READY" "$port")
    check "none: server $port runs as pid $pid" running "$pid"
    check "none: pid $pid is a blobs-server on $port" \
        grep -qa "blobs-server.*$port" "/proc/$pid/cmdline"
    expect_eq "none: GET / on $port" 200 \
        "$(http_status "http://127.0.0.1:$port/")"
done
FIRST_PIDS=$(ready_pids "$READY")

# Every child's lines reach our stderr, each under its port.
for i in 0 1 2; do
    port=$((BASE + i))
    check "none: $port's log lines carry its port" \
        grep -q "^$port: info: " "$TEST_TMP/none.log"
    check "none: $port's access line carries its port" \
        grep -q "^$port: access .*\"GET /\" 200" "$TEST_TMP/none.log"
done

# A server killed with SIGKILL is back within about a second.
port=$((BASE + 1))
old=$(pid_of_port "$READY" "$port")
start=$(date +%s%N)
kill -KILL "$old"
new=$old
for _ in $(seq 100); do
    new=$(pid_of_port "$READY" "$port")
    [ -n "$new" ] && [ "$new" != "$old" ] && break
    sleep 0.02
done
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
echo "killed server $port was listening again after $elapsed_ms ms"
check "none: the killed server has a new PID" [ "$new" != "$old" ]
check "none: ... within 1.5 s (took $elapsed_ms ms)" [ "$elapsed_ms" -lt 1500 ]
expect_eq "none: GET / on the restarted $port" 200 \
    "$(http_status "http://127.0.0.1:$port/")"
check "none: the death was logged" grep -q \
    "warn supervisor: server $port (pid $old) was killed by signal 9" \
    "$TEST_TMP/none.log"

# SIGHUP: each server restarted only after the one before listens again.
BEFORE_HUP=$(ready_pids "$READY")
lines_before=$(wc -l <"$TEST_TMP/none.log")
kill -HUP "$SUPERVISOR_PID"
for _ in $(seq 200); do
    grep -q 'SIGHUP: all 3 servers restarted' "$TEST_TMP/none.log" && break
    sleep 0.05
done
expected_order="restarting $BASE
listening $BASE
restarting $((BASE + 1))
listening $((BASE + 1))
restarting $((BASE + 2))
listening $((BASE + 2))
done"
expect_eq "none: SIGHUP restarts one server at a time" "$expected_order" \
    "$(tail -n +"$((lines_before + 1))" "$TEST_TMP/none.log" | sed -nE \
        -e 's/.*SIGHUP: restarting server ([0-9]+) .*/restarting \1/p' \
        -e 's/.*supervisor: server ([0-9]+) is listening.*/listening \1/p' \
        -e 's/.*SIGHUP: all 3 servers restarted.*/done/p')"
sleep 0.2
for pid in $BEFORE_HUP; do
    check "none: SIGHUP replaced pid $pid" absent " $pid\$" "$READY"
done
for i in 0 1 2; do
    expect_eq "none: GET / on $((BASE + i)) after SIGHUP" 200 \
        "$(http_status "http://127.0.0.1:$((BASE + i))/")"
done

# SIGTERM: every child stops, we exit 0, nothing is left, not even the
# ready file.
LAST_PIDS=$(ready_pids "$READY")
kill -TERM "$SUPERVISOR_PID"
wait_exit "$SUPERVISOR_PID" 20
expect_eq "none: status after SIGTERM" 0 "$STATUS"
# shellcheck disable=SC2086
check "none: every PID it started is gone" all_gone $FIRST_PIDS $LAST_PIDS \
    $BEFORE_HUP
check "none: the ready file is removed" [ ! -e "$READY" ]
expect_eq "none: each server stopped cleanly" 3 \
    "$(grep -c 'supervisor: server .* exited with status 0$' \
        "$TEST_TMP/none.log")"

# --- SIGKILL on the supervisor: the children die with it --------------------

BASE=$(free_port_range 2)
start_supervisor killed --procs 2 --front none --base-port "$BASE" \
    --dir "$ROOT" --ready-file "$READY"
check "killed: ready" wait_ready killed
CHILDREN=$(ready_pids "$READY")
kill -KILL "$SUPERVISOR_PID"
wait "$SUPERVISOR_PID" 2>/dev/null
# shellcheck disable=SC2086
check "killed: the children died with the supervisor" all_gone $CHILDREN
check "killed: their ports are free again" port_free "$BASE"
check "killed: ... both of them" port_free $((BASE + 1))

# --- clear failures ---------------------------------------------------------

# A server that exits at once: a few tries with a growing back-off, then
# one clear error and status 1.
BASE=$(free_port_range 2)
start_supervisor false --procs 2 --front none --base-port "$BASE" \
    --server /bin/false --dir "$ROOT"
wait_exit "$SUPERVISOR_PID" 10
expect_eq "/bin/false: gives up with status 1" 1 "$STATUS"
line="error supervisor: server [0-9]* failed to start 5 times in a row;"
line="$line the last time it exited with status 1 before listening"
check "/bin/false: a clear message" grep -q "$line" "$TEST_TMP/false.log"
check "/bin/false: no ready line" [ ! -s "$TEST_TMP/false.out" ]

# A server that cannot listen (status 2): no second try, its own words.
cannot_listen=$(fake_server cannot-listen \
    'echo "error: cannot listen on 127.0.0.1:$port: Address already in use" >&2
exit 2')
start_supervisor listen --procs 1 --front none --base-port "$BASE" \
    --server "$cannot_listen" --dir "$ROOT"
wait_exit "$SUPERVISOR_PID" 10
expect_eq "cannot listen: status 1" 1 "$STATUS"
line="error supervisor: server $BASE cannot start: it exited with status 2"
line="$line before listening (error: cannot listen on 127.0.0.1:$BASE:"
line="$line Address already in use)"
check "cannot listen: the server's own words" grep -qF "$line" \
    "$TEST_TMP/listen.log"
expect_eq "cannot listen: started once" 1 \
    "$(grep -c "^$BASE: error: cannot listen" "$TEST_TMP/listen.log")"

# A port already in use is an error before anything starts, for each
# front.
start_server "$ROOT" "$BASE"
TAKEN_PID=$SERVER_PID
for front in none haproxy reuseport; do
    if [ "$front" = none ]; then
        ports=(--base-port "$BASE")
    else
        ports=(--port "$BASE" --base-port $((BASE + 10)))
    fi
    "$SUPERVISOR" --procs 2 --front "$front" "${ports[@]}" --dir "$ROOT" \
        >"$TEST_TMP/taken-$front.out" 2>"$TEST_TMP/taken-$front.log"
    expect_eq "port taken, $front: status" 1 "$?"
    check "port taken, $front: says which port" grep -q \
        "error supervisor: cannot use 127.0.0.1:$BASE: Address already in use" \
        "$TEST_TMP/taken-$front.log"
    check "port taken, $front: started nothing" \
        absent 'is listening' "$TEST_TMP/taken-$front.log"
done
check "port taken: the holder still runs" running "$TAKEN_PID"
stop_server "$TAKEN_PID"

# A server that never says READY is killed at --start-timeout.
silent=$(fake_server silent 'exec sleep 30')
start_supervisor silent --procs 1 --front none --base-port "$BASE" \
    --server "$silent" --dir "$ROOT" --start-timeout 0.3 \
    --start-attempts 2
wait_exit "$SUPERVISOR_PID" 10
expect_eq "silent server: status 1" 1 "$STATUS"
check "silent server: killed at the timeout" grep -q \
    "server $BASE (pid [0-9]*) is not listening after 0.3 s; killing it" \
    "$TEST_TMP/silent.log"
line="failed to start 2 times in a row; the last time it did not listen"
check "silent server: gives up after 2 tries" grep -q "$line within 0.3 s" \
    "$TEST_TMP/silent.log"

# A server that dies soon after it listens is started again with a
# growing back-off, without giving up: it did start.
crashing=$(fake_server crashing 'echo "READY $port" >&3
exec 3>&-
sleep 0.05
echo "crashing now"
exit 1')
start_supervisor crashing --procs 1 --front none --base-port "$BASE" \
    --server "$crashing" --dir "$ROOT"
sleep 2
check "crashing server: still supervised" running "$SUPERVISOR_PID"
expect_eq "crashing server: back-off doubles" "0.1 0.2 0.4 0.8" \
    "$(grep -oE 'exited with status 1; starting it again in [0-9.]+ s' \
        "$TEST_TMP/crashing.log" | head -n 4 | awk '{ print $(NF - 1) }' \
        | tr '\n' ' ' | sed 's/ $//')"
check "crashing server: its last words are passed on" \
    grep -q "^$BASE: crashing now$" "$TEST_TMP/crashing.log"
kill -TERM "$SUPERVISOR_PID"
wait_exit "$SUPERVISOR_PID" 10
expect_eq "crashing server: status after SIGTERM" 0 "$STATUS"

# A server that ignores SIGTERM is killed after --grace; still status 0.
stubborn=$(fake_server stubborn "trap '' TERM
echo \"READY \$port\" >&3
exec 3>&-
exec sleep 30")
start_supervisor stubborn --procs 1 --front none --base-port "$BASE" \
    --server "$stubborn" --dir "$ROOT" --grace 0.5 --ready-file "$READY"
check "stubborn server: ready" wait_ready stubborn
STUBBORN=$(ready_pids "$READY")
kill -TERM "$SUPERVISOR_PID"
wait_exit "$SUPERVISOR_PID" 5
expect_eq "stubborn server: status 0" 0 "$STATUS"
line="server $BASE (pid $STUBBORN) still runs 0.5 s after it was asked to"
check "stubborn server: killed after the grace period" grep -q \
    "$line stop; killing it" "$TEST_TMP/stubborn.log"
check "stubborn server: gone" all_gone "$STUBBORN"

finish
