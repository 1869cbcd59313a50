#!/usr/bin/env bash
# Two server processes on one root, racing PUTs of the same ids: exactly
# one 200 and one 409 per id, and the stored bytes are one sender's.
source "$(dirname "$0")/lib.sh"

ROOT=$TEST_TMP/root
PORT_A=$(free_port)
start_server "$ROOT" "$PORT_A"
PID_A=$SERVER_PID
PORT_B=$(free_port)
start_server "$ROOT" "$PORT_B"
PID_B=$SERVER_PID

head -c 200000 /dev/urandom >"$TEST_TMP/a"
head -c 200000 /dev/urandom >"$TEST_TMP/b"

ROUNDS=40
for i in $(seq $ROUNDS); do
    curl -s -o /dev/null -w '%{http_code}\n' --data-binary @"$TEST_TMP/a" \
        -X PUT "http://127.0.0.1:$PORT_A/blobs/racer/id$i" >"$TEST_TMP/a.$i" &
    racer_a=$!
    curl -s -o /dev/null -w '%{http_code}\n' --data-binary @"$TEST_TMP/b" \
        -X PUT "http://127.0.0.1:$PORT_B/blobs/racer/id$i" >"$TEST_TMP/b.$i" &
    wait "$racer_a" $!
done

bad=0
for i in $(seq $ROUNDS); do
    pair=$(cat "$TEST_TMP/a.$i" "$TEST_TMP/b.$i" | sort | tr '\n' ' ')
    if [ "$pair" != "200 409 " ]; then
        echo "id$i: got $pair" >&2
        bad=$((bad + 1))
    fi
    file=$(find "$ROOT/racer" -name "id$i" -type f)
    if ! cmp -s "$file" "$TEST_TMP/a" && ! cmp -s "$file" "$TEST_TMP/b"; then
        echo "id$i: stored bytes are neither sender's" >&2
        bad=$((bad + 1))
    fi
done
expect_eq "every race: one 200, one 409, one sender's bytes" 0 "$bad"
expect_eq "no temporary files left" "" \
    "$(find "$ROOT" -name '.tmp*' -o -name '*.tmp' | head -n 3)"

PORT=$PORT_A
req GET '/blobs/racer/?only_count=true'
expect_req "both processes see all blobs" 200 "{\"count\": $ROUNDS}"

stop_server "$PID_A"
stop_server "$PID_B"
finish
