#!/usr/bin/env bash
# Overload against the real server: a thousand idle connections held
# while ab hammers it, the --max-connections cap, and the process's own
# file-descriptor limit (set with prlimit). The server must shed what it
# cannot take, never spin or die, and serve again once load goes away.
source "$(dirname "$0")/lib.sh"
source "$TOP/tests/integration/tools/hostile-lib.sh"

ulimit -n 8192 2>/dev/null
IDLE_CONNS=1000
[ "$(ulimit -n)" -ge 2400 ] || IDLE_CONNS=$(( $(ulimit -n) / 3 ))

# ab_value FILE "Complete requests": a number from ab's summary.
ab_value() {
    awk -F: -v key="$2" '$1 == key { split($2, w, " "); print w[1] }' "$1"
}

# ---- a thousand idle connections, and ab meanwhile ------------------------

ROOT=$TEST_TMP/root
PORT=$(free_port)
start_server "$ROOT" "$PORT" --idle-timeout 60

hostile hold "$PORT" --conns "$IDLE_CONNS" --release "$TEST_TMP/release-idle" \
    --max-wait 90 >"$TEST_TMP/idle" &
holder=$!
check "idle connections opened" wait_until 20 grep -q 'phase=held' "$TEST_TMP/idle"
expect_eq "every idle connection was served first" "$IDLE_CONNS" \
    "$(word answered "$TEST_TMP/idle")"
note "$(established "$PORT") connections open before the load"

timeout 120 ab -k -q -n 50000 -c 500 "http://127.0.0.1:$PORT/" \
    >"$TEST_TMP/ab-k" 2>&1
expect_eq "ab -k -c 500: all complete" 50000 \
    "$(ab_value "$TEST_TMP/ab-k" "Complete requests")"
expect_eq "ab -k -c 500: none failed" 0 \
    "$(ab_value "$TEST_TMP/ab-k" "Failed requests")"
timeout 120 ab -q -n 5000 -c 100 "http://127.0.0.1:$PORT/" >"$TEST_TMP/ab" 2>&1
expect_eq "ab -c 100, a connection per request: all complete" 5000 \
    "$(ab_value "$TEST_TMP/ab" "Complete requests")"
expect_eq "ab -c 100, a connection per request: none failed" 0 \
    "$(ab_value "$TEST_TMP/ab" "Failed requests")"
note "with $IDLE_CONNS idle connections held: ab -k -c 500:" \
    "$(ab_value "$TEST_TMP/ab-k" "Requests per second") requests/s;" \
    "ab -c 100 (a new connection each):" \
    "$(ab_value "$TEST_TMP/ab" "Requests per second") requests/s"

touch "$TEST_TMP/release-idle"
wait "$holder"
expect_eq "the idle connections outlived the load" "$IDLE_CONNS" \
    "$(word still_open "$TEST_TMP/idle")"
stop_server "$SERVER_PID"

# ---- --max-connections: the extra ones get a 503 at once ----------------

PORT=$(free_port)
start_server "$ROOT" "$PORT" --max-connections 50 --idle-timeout 60
hostile hold "$PORT" --conns 50 --release "$TEST_TMP/release-cap" \
    --max-wait 30 >"$TEST_TMP/cap" &
holder=$!
check "50 connections held" wait_until 10 grep -q 'phase=held' "$TEST_TMP/cap"
expect_eq "the first 50 are served" 50 "$(word answered "$TEST_TMP/cap")"
hostile overload "$PORT" --conns 20 --settle 1 >"$TEST_TMP/over-cap"
expect_eq "past the cap: all 20 get a 503" 20 "$(word shed "$TEST_TMP/over-cap")"
expect_eq "past the cap: no reset" 0 "$(word reset "$TEST_TMP/over-cap")"
req GET /
expect_eq "past the cap: curl sees 503" 503 "$STATUS"
expect_eq "the 503 says when to come back" 1 "$(header Retry-After)"
touch "$TEST_TMP/release-cap"
wait "$holder"
check "below the cap again: served" wait_until 3 eval 'req GET /; [ "$STATUS" = 200 ]'
stop_server "$SERVER_PID"

# ---- the fd limit: 64 descriptors, 100 clients --------------------------

# fd_limit CASE [server options...]: 100 clients against a server that
# has 64 descriptors. Sets PUT_STATUS (an upload on an accepted
# connection while over the limit).
fd_limit() {
    local case=$1 ticks waiting
    shift

    # prlimit execs the server, so $! is the server itself.
    PORT=$(free_port)
    prlimit --nofile=64:64 "$BIN_DIR/blobs-server" "$ROOT" "$PORT" \
        --idle-timeout 60 "$@" >>"$TEST_TMP/server-$PORT.log" 2>&1 &
    SERVER_PID=$!
    STARTED_PIDS+=("$SERVER_PID")
    wait_port "$PORT"
    expect_eq "$case: the server runs with 64 descriptors" 64 \
        "$(awk '/Max open files/ { print $4 }' "/proc/$SERVER_PID/limits")"

    rm -f "$TEST_TMP/release-fds"
    hostile overload "$PORT" --conns 100 --settle 1.5 --put \
        --release "$TEST_TMP/release-fds" --max-wait 20 >"$TEST_TMP/fds" &
    local overloader=$!
    check "$case: 100 clients connected" \
        wait_until 10 grep -q 'phase=held' "$TEST_TMP/fds"

    # Over the limit for a second: a server that retried accept() at once
    # on its readable listening socket would burn a whole CPU here.
    ticks=$(cpu_ticks "$SERVER_PID")
    sleep 1
    ticks=$(( $(cpu_ticks "$SERVER_PID") - ticks ))
    note "$case: CPU in one second over the limit: $ticks ticks of" \
        "$(getconf CLK_TCK); clients: $(grep phase=held "$TEST_TMP/fds")"
    check "$case: no spinning ($ticks ticks in 1 s, want <= 20)" \
        test "$ticks" -le 20
    check "$case: the server is alive" alive "$SERVER_PID"
    check "$case: some clients were served" \
        at_least "$(word answered "$TEST_TMP/fds")" 20
    check "$case: the rest were shed with a 503, or wait" \
        test $(( $(word shed "$TEST_TMP/fds") + $(word silent "$TEST_TMP/fds") )) \
        -eq $((100 - $(word answered "$TEST_TMP/fds")))
    expect_eq "$case: no client was reset" 0 "$(word reset "$TEST_TMP/fds")"
    PUT_STATUS=$(word put "$TEST_TMP/fds")

    # The served clients leave: any still waiting (in the listen queue
    # while the server paused accepting) get their answers.
    waiting=$(word silent "$TEST_TMP/fds")
    touch "$TEST_TMP/release-fds"
    wait "$overloader"
    note "$case, once the first clients left: $(grep phase=released "$TEST_TMP/fds")"
    expect_eq "$case: every waiting client was answered in the end" 0 \
        "$(word silent "$TEST_TMP/fds")"
    expect_eq "$case: none of them reset" 0 "$(word reset "$TEST_TMP/fds")"
    if [ "$waiting" -gt 0 ]; then
        check "$case: waiting clients were served once descriptors freed up" \
            at_least "$(word answered "$TEST_TMP/fds")" 1
    fi
    req GET /
    expect_eq "$case: a new client is served" 200 "$STATUS"
    stop_server "$SERVER_PID"
}

# With the default cap, which must leave descriptors for files: the
# connections already accepted keep working, uploads included.
fd_limit "fd limit, default cap"
expect_eq "fd limit, default cap: an accepted connection can upload" 200 \
    "$PUT_STATUS"

# With a cap above the limit, accept() itself meets EMFILE: the server
# sheds and pauses accepting; an upload that cannot open its file is told
# to come back (503), never a 500.
fd_limit "fd limit, cap 1000" --max-connections 1000
check "fd limit, cap 1000: accept met EMFILE" \
    grep -q 'out of file descriptors' "$TEST_TMP/server-$PORT.log"
check "fd limit, cap 1000: the upload got 200 or 503 ($PUT_STATUS)" \
    grep -q -x -E '200|503' <<<"$PUT_STATUS"

finish
