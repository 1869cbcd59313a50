#!/usr/bin/env bash
# Signals against the real server. SIGTERM and SIGINT: stop accepting,
# finish what is in flight within --grace, exit 0. SIGHUP: reopen the
# access log. Requests that arrive together with the SIGTERM are not lost
# to a reset.
source "$(dirname "$0")/lib.sh"
source "$TOP/tests/integration/tools/hostile-lib.sh"

ROOT=$TEST_TMP/root
BLOB_BYTES=$((16 * 1024 * 1024))
head -c "$BLOB_BYTES" /dev/urandom >"$TEST_TMP/blob"

refuses_connections() {
    ! (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null
}

# ---- SIGTERM during a slow download, with time to finish -----------------

PORT=$(free_port)
start_server "$ROOT" "$PORT" --grace 10
req PUT /blobs/sig/big --data-binary @"$TEST_TMP/blob"
expect_eq "16 MiB blob stored" 200 "$STATUS"

# About two seconds of download at 8 MB/s through a small window.
hostile slowread "$PORT" --path /blobs/sig/big --rate 8000000 --rcvbuf 65536 \
    --timeout 20 --out "$TEST_TMP/got" >"$TEST_TMP/slow" 2>/dev/null &
reader=$!
sleep 0.5
kill -TERM "$SERVER_PID"
sleep 0.3
check "SIGTERM: still running while the download is in flight" alive "$SERVER_PID"
check "SIGTERM: no new connection accepted" refuses_connections "$PORT"
wait "$reader"
wait_exit "$SERVER_PID" 5
expect_eq "SIGTERM: exit status once the download is done" 0 "$EXIT_STATUS"
expect_eq "SIGTERM: the download completed" complete "$(word how "$TEST_TMP/slow")"
check "SIGTERM: every byte of it" cmp -s "$TEST_TMP/blob" "$TEST_TMP/got"
note "SIGTERM during a download: $(cat "$TEST_TMP/slow")"

# ---- ... and with a grace period shorter than the download -------------------

PORT=$(free_port)
start_server "$ROOT" "$PORT" --grace 1
hostile slowread "$PORT" --path /blobs/sig/big --rate 4000000 --rcvbuf 65536 \
    --timeout 20 --out "$TEST_TMP/cut" >"$TEST_TMP/slow-cut" 2>/dev/null &
reader=$!
sleep 0.5
started=$(now)
kill -TERM "$SERVER_PID"
wait_exit "$SERVER_PID" 5
took=$(since "$started")
wait "$reader"
expect_eq "grace over: exit status" 0 "$EXIT_STATUS"
check "grace over: exit when the grace period ends ($took s after SIGTERM, grace 1)" \
    eval 'at_least "$took" 0.9 && at_most "$took" 2'
check "grace over: the download was cut" \
    test "$(word bytes "$TEST_TMP/slow-cut")" -lt "$BLOB_BYTES"
check "grace over: the log says so" grep -q 'grace period over' "$TEST_TMP/server-$PORT.log"

# ---- SIGTERM during a slow upload: it is finished and stored -------------

PORT=$(free_port)
start_server "$ROOT" "$PORT" --grace 5
head -c 1000000 /dev/urandom >"$TEST_TMP/up"
{ printf 'PUT /blobs/sig/up HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n'
  cat "$TEST_TMP/up"; } >"$TEST_TMP/up.request"
hostile pieces "$PORT" --split 500000 --pause 1 <"$TEST_TMP/up.request" \
    >"$TEST_TMP/up.client" &
uploader=$!
sleep 0.4
kill -TERM "$SERVER_PID"
wait "$uploader"
wait_exit "$SERVER_PID" 5
expect_eq "SIGTERM mid-upload: the upload is answered" 200 "$(word status "$TEST_TMP/up.client")"
expect_eq "SIGTERM mid-upload: exit status" 0 "$EXIT_STATUS"
check "SIGTERM mid-upload: the blob is stored whole" \
    cmp -s "$TEST_TMP/up" "$ROOT/sig/default/u/up/up/up"

# An upload that outlasts the grace period is dropped whole: nothing of
# it stays on disk, and its reserved quota is free after a restart.
PORT=$(free_port)
start_server "$ROOT" "$PORT" --grace 0.5 --quota 2M
sed 's|/blobs/sig/up |/blobs/late/cut |' "$TEST_TMP/up.request" >"$TEST_TMP/cut.request"
hostile pieces "$PORT" --split 500000 --pause 2 <"$TEST_TMP/cut.request" \
    >"$TEST_TMP/cut.client" &
uploader=$!
sleep 0.4
kill -TERM "$SERVER_PID"
wait_exit "$SERVER_PID" 3
wait "$uploader"
expect_eq "upload past the grace: exit status" 0 "$EXIT_STATUS"
expect_eq "upload past the grace: nothing of it on disk" "" \
    "$(find "$ROOT/late" -type f 2>/dev/null)"
start_server "$ROOT" "$PORT" --quota 2M
head -c $((2 * 1024 * 1024)) /dev/urandom >"$TEST_TMP/2m"
req PUT /blobs/late/full --data-binary @"$TEST_TMP/2m"
expect_eq "upload past the grace: its quota is free after a restart" 200 "$STATUS"
stop_server "$SERVER_PID"

# ---- idle connections do not hold up the exit; SIGINT is the same --------

for signal in TERM INT; do
    PORT=$(free_port)
    start_server "$ROOT" "$PORT" --grace 10 --idle-timeout 60
    hostile hold "$PORT" --conns 50 --release "$TEST_TMP/release-$signal" \
        --max-wait 20 >"$TEST_TMP/idle-$signal" &
    holder=$!
    check "SIG$signal: 50 idle connections" wait_until 5 grep -q phase=held "$TEST_TMP/idle-$signal"
    started=$(now)
    kill -"$signal" "$SERVER_PID"
    wait_exit "$SERVER_PID" 5
    took=$(since "$started")
    expect_eq "SIG$signal with idle connections: exit status" 0 "$EXIT_STATUS"
    check "SIG$signal with idle connections: exit at once ($took s)" at_most "$took" 1
    touch "$TEST_TMP/release-$signal"
    wait "$holder"
    expect_eq "SIG$signal: the idle connections were closed" 0 \
        "$(word still_open "$TEST_TMP/idle-$signal")"
done

# ---- requests that arrive in the same instant as the SIGTERM ---------------

# The server is stopped (SIGSTOP), sent SIGTERM, and 30 idle keep-alive
# connections each get a request; then it runs on and finds the signal
# and the requests together. Each request is answered or meets a clean
# end of stream, never a reset; and the server exits cleanly (a sanitizer
# report would show here, and in finish).
PORT=$(free_port)
start_server "$ROOT" "$PORT" --grace 5 --idle-timeout 60
hostile termrace "$PORT" --pid "$SERVER_PID" --conns 30 >"$TEST_TMP/termrace"
wait_exit "$SERVER_PID" 5
note "requests racing a SIGTERM: $(cat "$TEST_TMP/termrace")"
expect_eq "requests racing a SIGTERM: no reset" 0 "$(word reset "$TEST_TMP/termrace")"
expect_eq "requests racing a SIGTERM: nothing odd" 0 "$(word other "$TEST_TMP/termrace")"
expect_eq "requests racing a SIGTERM: exit status" 0 "$EXIT_STATUS"

# ---- SIGHUP reopens the access log --------------------------------------

LOGS=$TEST_TMP/logs
mkdir -p "$LOGS"
PORT=$(free_port)
start_server "$ROOT" "$PORT" --access-log="$LOGS/access.log"
req GET /blobs/first/
mv "$LOGS/access.log" "$LOGS/access.log.1"
kill -HUP "$SERVER_PID"
check "SIGHUP: a fresh log file" wait_until 2 test -f "$LOGS/access.log"
req GET /blobs/second/
check "SIGHUP: the old file has the request before" \
    grep -q '"GET /blobs/first/" 200' "$LOGS/access.log.1"
check "SIGHUP: the new file has the request after" \
    grep -q '"GET /blobs/second/" 200' "$LOGS/access.log"
check "SIGHUP: ... and only that one" not grep -q 'first' "$LOGS/access.log"

# A log that cannot be reopened (its folder is gone) keeps the old one;
# the server lives on, and a later SIGHUP reopens it once it can.
rm -rf "$LOGS"
kill -HUP "$SERVER_PID"
sleep 0.2
req GET /blobs/third/
expect_eq "SIGHUP without a log folder: still serving" 200 "$STATUS"
check "SIGHUP without a log folder: the failure is logged" \
    grep -q 'cannot reopen access log' "$TEST_TMP/server-$PORT.log"
mkdir -p "$LOGS"
kill -HUP "$SERVER_PID"
check "SIGHUP with the folder back: reopened" wait_until 2 test -f "$LOGS/access.log"
req GET /blobs/fourth/
check "SIGHUP with the folder back: logging again" grep -q 'fourth' "$LOGS/access.log"
stop_server "$SERVER_PID"

finish
