#!/usr/bin/env bash
# The quota is exact across server processes that share one root: PUTs
# racing from many connections to two processes never take a user over
# it, and the count survives a restart, rebuilt from the disk when its
# record is missing or cannot be trusted.
source "$(dirname "$0")/lib.sh"
source "$TOP/tests/integration/tools/hostile-lib.sh"

ROOT=$TEST_TMP/root
QUOTA=1000000
SIZE=30000
FIT=$((QUOTA / SIZE))                  # 33 blobs fit, 990000 bytes

# stored USER: "COUNT BYTES" of the user's blobs on disk.
stored() {
    find "$ROOT/$1" -type f ! -name '*.*' -printf '%s\n' 2>/dev/null \
        | awk '{ n++; s += $1 } END { printf "%d %d\n", n, s }'
}

start_pair() {
    PORT_A=$(free_port)
    start_server "$ROOT" "$PORT_A" --quota "$QUOTA"
    PID_A=$SERVER_PID
    PORT_B=$(free_port)
    start_server "$ROOT" "$PORT_B" --quota "$QUOTA"
    PID_B=$SERVER_PID
}

start_pair

# 80 PUTs of 30 KB from 16 connections at a time, alternating between
# the two processes: exactly the 33 that fit are stored.
hostile puts "$PORT_A" --ports "$PORT_A,$PORT_B" --user racer --count 80 \
    --size "$SIZE" --concurrency 16 >"$TEST_TMP/race"
note "racing PUTs by length: $(cat "$TEST_TMP/race")"
expect_eq "racing PUTs by length: the ones that fit" "$FIT" "$(word s200 "$TEST_TMP/race")"
expect_eq "racing PUTs by length: the rest refused" $((80 - FIT)) "$(word s507 "$TEST_TMP/race")"
expect_eq "racing PUTs by length: on disk" "$FIT $((FIT * SIZE))" "$(stored racer)"

# The same with chunked bodies, whose length is not known up front.
hostile puts "$PORT_A" --ports "$PORT_A,$PORT_B" --user racerc \
    --count 80 --size "$SIZE" --concurrency 16 --chunked >"$TEST_TMP/race-chunked"
note "racing chunked PUTs: $(cat "$TEST_TMP/race-chunked")"
read -r count bytes <<<"$(stored racerc)"
ok=$(word s200 "$TEST_TMP/race-chunked")
refused=$(word s507 "$TEST_TMP/race-chunked")
check "racing chunked PUTs: never over the quota ($bytes bytes)" \
    test "$bytes" -le "$QUOTA"
expect_eq "racing chunked PUTs: every 200 is on disk" "${ok:-0}" "$count"
expect_eq "racing chunked PUTs: 200 or 507, nothing else" 80 \
    $(( ${ok:-0} + ${refused:-0} ))

# Chunked uploads that are in flight together (each pauses between its
# two chunks) and all fit (20 x 30 KB in 1 MB): all stored. Reserving
# quota ahead of the bytes must not refuse a body that fits.
hostile puts "$PORT_A" --ports "$PORT_A,$PORT_B" --user slowc --count 20 \
    --size "$SIZE" --concurrency 10 --chunked --pause-in-body --pause 0.3 \
    >"$TEST_TMP/inflight"
note "chunked PUTs in flight together: $(cat "$TEST_TMP/inflight")"
expect_eq "chunked PUTs in flight together, all fitting: all stored" 20 \
    "$(word s200 "$TEST_TMP/inflight")"

stop_server "$PID_A"
stop_server "$PID_B"

# over_by_one USER: the user's room is exactly what the disk says.
# A PUT of the room plus one byte is refused, one of the room fits.
expect_room() {
    local what=$1 user=$2 used room
    read -r _ used <<<"$(stored "$user")"
    room=$((QUOTA - used))
    head -c $((room + 1)) /dev/zero >"$TEST_TMP/over"
    head -c "$room" /dev/zero >"$TEST_TMP/room"
    req PUT "/blobs/$user/over" --data-binary @"$TEST_TMP/over"
    expect_eq "$what: room + 1 byte refused" 507 "$STATUS"
    req PUT "/blobs/$user/room" --data-binary @"$TEST_TMP/room"
    expect_eq "$what: exactly the room fits" 200 "$STATUS"
    req DELETE "/blobs/$user/room"
}

RECORD=$ROOT/.quota/racer

PORT=$(free_port)
start_server "$ROOT" "$PORT" --quota "$QUOTA"
expect_room "after a restart" racer
stop_server "$SERVER_PID"

rm -f "$RECORD"
start_server "$ROOT" "$PORT" --quota "$QUOTA"
expect_room "record deleted" racer
stop_server "$SERVER_PID"

# A crash in the middle of a commit leaves the record marked dirty; its
# count cannot be believed, whatever it says.
sed -i 's/^used .*/used 0\ndirty 999999/' "$RECORD"
start_server "$ROOT" "$PORT" --quota "$QUOTA"
expect_room "record left dirty by a crash" racer
stop_server "$SERVER_PID"

# Written before the machine last booted: writes may have been lost.
sed -i 's/^boot .*/boot 00000000-0000-0000-0000-000000000000/; s/^used .*/used 0/' "$RECORD"
start_server "$ROOT" "$PORT" --quota "$QUOTA"
expect_room "record from another boot" racer
stop_server "$SERVER_PID"

printf 'not a quota record\n' >"$RECORD"
start_server "$ROOT" "$PORT" --quota "$QUOTA"
expect_room "record of garbage" racer
check "the rebuilds are logged" grep -q 'recounted' "$TEST_TMP/server-$PORT.log"
stop_server "$SERVER_PID"

finish
