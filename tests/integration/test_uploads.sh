#!/usr/bin/env bash
# Uploads that go wrong or go big: a PUT cut off half-way leaves nothing
# visible and gives its quota back; a 48 MiB blob comes back byte for byte.
source "$(dirname "$0")/lib.sh"

ROOT=$TEST_TMP/root
PORT=$(free_port)
start_server "$ROOT" "$PORT" --quota 100M

# A PUT that promises 1 MB, sends half and hangs up.
{ printf 'PUT /blobs/cut/half HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n'
  head -c 500000 /dev/zero; } | raw "$PORT" --shut --wait 2 >"$TEST_TMP/cut" 2>/dev/null
req GET /blobs/cut/half
expect_eq "cut-off PUT is not visible" 404 "$STATUS"
req GET /blobs/cut/
expect_req "cut-off PUT is not listed" 200 "[]"
expect_eq "no file at all under the user" "" \
    "$(find "$ROOT/cut" -type f 2>/dev/null)"

# Same for a chunked PUT cut between chunks.
{ printf 'PUT /blobs/cut/chunks HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n'
  printf '4\r\nabcd\r\n'; } | raw "$PORT" --shut --wait 2 >/dev/null 2>&1
req GET /blobs/cut/chunks
expect_eq "cut-off chunked PUT is not visible" 404 "$STATUS"

# The cut uploads gave back what they reserved: the full quota fits.
head -c $((100 * 1024 * 1024)) /dev/zero >"$TEST_TMP/full"
req PUT /blobs/cut/full --data-binary @"$TEST_TMP/full"
expect_eq "quota given back after cut uploads" 200 "$STATUS"
rm -f "$TEST_TMP/full"

# And the id of a cut upload can be used again.
req PUT /blobs/other/half --data-binary 'done'
expect_eq "put after the cut one" 200 "$STATUS"

# A 48 MiB round trip, byte for byte, through curl.
head -c $((48 * 1024 * 1024)) /dev/urandom >"$TEST_TMP/big"
req PUT /blobs/big/b48 --data-binary @"$TEST_TMP/big"
expect_eq "48 MiB put" 200 "$STATUS"
curl -s -o "$TEST_TMP/big.back" "http://127.0.0.1:$PORT/blobs/big/b48"
check "48 MiB comes back byte for byte" cmp -s "$TEST_TMP/big" "$TEST_TMP/big.back"
# And through chunked.
curl -s -o /dev/null -T - "http://127.0.0.1:$PORT/blobs/big/b48c" <"$TEST_TMP/big"
check "48 MiB chunked stored byte for byte" \
    cmp -s "$TEST_TMP/big" "$ROOT/big/default/b/b48/b48c/b48c"
rm -f "$TEST_TMP/big" "$TEST_TMP/big.back"

stop_server "$SERVER_PID"
finish
