#!/usr/bin/env bash
# kill -9 in the middle of an upload, then a restart on the same root: no
# partial blob is visible, no temporary file is left behind, and the
# quota that the dead upload had reserved is free again.
source "$(dirname "$0")/lib.sh"
source "$TOP/tests/integration/tools/hostile-lib.sh"

ROOT=$TEST_TMP/root
QUOTA=2097152

# only_files: the regular files under the root, bookkeeping aside.
only_files() {
    find "$ROOT" -type f ! -path '*/.quota/*' | sed "s|^$ROOT/||" | sort | tr '\n' ' '
}

# upload_open PID: the server holds an upload's file open right now (an
# unnamed O_TMPFILE shows as "(deleted)", a named one as .tmp.*).
upload_open() {
    local fd
    for fd in /proc/"$1"/fd/*; do
        case "$(readlink "$fd")" in
            *'(deleted)'* | */.tmp.*) return 0 ;;
        esac
    done
    return 1
}

# crash_mid_upload NAME HEAD BODY_FILE: send HEAD and the first 700 KB of
# the body, kill -9 the server while it holds the upload, and return.
crash_mid_upload() {
    local name=$1 head=$2 body=$3 head_len
    head_len=$(printf '%b' "$head" | wc -c)
    { printf '%b' "$head"; cat "$body"; } >"$TEST_TMP/$name.request"
    hostile pieces "$PORT" --split $((head_len + 700000)) --pause 1.5 \
        <"$TEST_TMP/$name.request" >"$TEST_TMP/$name.client" &
    local client=$!
    check "$name: the upload is under way" wait_until 3 upload_open "$SERVER_PID"
    sleep 0.2
    kill -KILL "$SERVER_PID"
    wait "$SERVER_PID" 2>/dev/null
    wait "$client"
}

head -c 1500000 /dev/urandom >"$TEST_TMP/upload"
# A chunked body of the same bytes, in chunks of 100000 (0x186a0).
split -b 100000 -d "$TEST_TMP/upload" "$TEST_TMP/piece."
for piece in "$TEST_TMP"/piece.*; do
    printf '%x\r\n' "$(stat -c %s "$piece")"
    cat "$piece"
    printf '\r\n'
done >"$TEST_TMP/upload.chunked"
printf '0\r\n\r\n' >>"$TEST_TMP/upload.chunked"

# By Content-Length.
PORT=$(free_port)
start_server "$ROOT" "$PORT" --quota "$QUOTA"
crash_mid_upload length \
    'PUT /blobs/crash/length HTTP/1.1\r\nHost: x\r\nContent-Length: 1500000\r\n\r\n' \
    "$TEST_TMP/upload"
expect_eq "killed mid-upload (length): no file at all under the root" "" "$(only_files)"

# Chunked, from a second server on the same root.
PORT=$(free_port)
start_server "$ROOT" "$PORT" --quota "$QUOTA"
crash_mid_upload chunked \
    'PUT /blobs/crash/chunked HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n' \
    "$TEST_TMP/upload.chunked"
expect_eq "killed mid-upload (chunked): no file at all under the root" "" "$(only_files)"
expect_eq "no temporary file left" "" \
    "$(find "$ROOT" -name '.tmp*' -o -name '*.tmp' -o -name '#*' | head -n 3)"

# Restarted: nothing to see, nothing to clean, and the whole quota free.
PORT=$(free_port)
start_server "$ROOT" "$PORT" --quota "$QUOTA"
req GET /blobs/crash/length
expect_eq "after restart: the cut blob (length) is not there" 404 "$STATUS"
req GET /blobs/crash/chunked
expect_eq "after restart: the cut blob (chunked) is not there" 404 "$STATUS"
req GET /blobs/crash/
expect_req "after restart: the user lists nothing" 200 "[]"
head -c "$QUOTA" /dev/urandom >"$TEST_TMP/full"
req PUT /blobs/crash/full --data-binary @"$TEST_TMP/full"
expect_eq "after restart: the dead uploads' quota is free (2 MiB fits)" 200 "$STATUS"
req GET /blobs/crash/full
check "after restart: the new blob reads back" cmp -s "$TEST_TMP/full" "$TEST_TMP/body"
req PUT /blobs/crash/length --data-binary @"$TEST_TMP/upload"
expect_eq "after restart: the cut id is usable, but over quota now" 507 "$STATUS"
req DELETE /blobs/crash/full
req PUT /blobs/crash/length --data-binary @"$TEST_TMP/upload"
expect_eq "after restart: the cut id can be uploaded again" 200 "$STATUS"
stop_server "$SERVER_PID"

finish
