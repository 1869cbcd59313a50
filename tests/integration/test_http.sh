#!/usr/bin/env bash
# "HTTP behaviour every route shares" (API.md) against the real server,
# with real clients (curl, ab) and raw bytes.
source "$(dirname "$0")/lib.sh"

ROOT=$TEST_TMP/root
PORT=$(free_port)
start_server "$ROOT" "$PORT" --idle-timeout 2

crlf() { printf '%s' "$1" | sed 's/$/\r/'; }

# Keep-alive: curl reuses one connection for several URLs.
curl -sv "http://127.0.0.1:$PORT/" "http://127.0.0.1:$PORT/blobs/u/" \
    -o /dev/null -o /dev/null 2>"$TEST_TMP/curl.err"
check "curl reuses the connection" grep -q 'Re-using existing connection' "$TEST_TMP/curl.err"

# Pipelining: three requests in one write, three answers in order.
printf 'PUT /blobs/u/p1 HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabcGET /blobs/u/p1 HTTP/1.1\r\nHost: x\r\n\r\nGET /blobs/u/nope HTTP/1.1\r\nHost: x\r\n\r\n' \
    | raw "$PORT" --wait 1 >"$TEST_TMP/pipe" 2>/dev/null
statuses=$(grep -a -o 'HTTP/1.1 [0-9]*' "$TEST_TMP/pipe" | tr '\n' ' ')
expect_eq "pipelined answers in order" "HTTP/1.1 200 HTTP/1.1 200 HTTP/1.1 404 " "$statuses"
check "pipelined GET body" grep -a -q '^abcHTTP/1.1 404' "$TEST_TMP/pipe"

# HEAD sends no body: the next pipelined answer follows its head at once.
printf 'HEAD /blobs/u/p1 HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n' \
    | raw "$PORT" --wait 1 >"$TEST_TMP/head" 2>/dev/null
check "HEAD has Content-Length 3" grep -a -q $'^Content-Length: 3\r$' "$TEST_TMP/head"
check "no body after a HEAD head" grep -a -q -z $'\r\n\r\nHTTP/1.1 200' "$TEST_TMP/head"

# Every line ends in CRLF, and every response has Content-Length.
for request in 'GET / HTTP/1.1' 'GET /blobs/u/ HTTP/1.1' 'GET /x HTTP/1.1' \
               'DELETE / HTTP/1.1' 'GET /blobs/a.b/ HTTP/1.1'; do
    printf '%s\r\nHost: x\r\nConnection: close\r\n\r\n' "$request" \
        | raw "$PORT" >"$TEST_TMP/resp" 2>/dev/null
    head_part=$(sed -n '1,/^\r$/p' "$TEST_TMP/resp")
    check "CRLF on every line ($request)" \
        test -z "$(printf '%s\n' "$head_part" | grep -v $'\r$')"
    check "Content-Length ($request)" grep -a -q '^Content-Length: ' "$TEST_TMP/resp"
done

# HTTP/1.0: closes unless it asks to keep alive, and then says so.
printf 'GET / HTTP/1.0\r\n\r\n' | raw "$PORT" >"$TEST_TMP/r10" 2>"$TEST_TMP/r10.state"
expect_eq "HTTP/1.0 closes" closed "$(cat "$TEST_TMP/r10.state")"
printf 'GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n' \
    | raw "$PORT" --wait 0.5 >"$TEST_TMP/r10k" 2>"$TEST_TMP/r10k.state"
expect_eq "HTTP/1.0 keep-alive stays open" open "$(cat "$TEST_TMP/r10k.state")"
check "HTTP/1.0 keep-alive is announced" \
    grep -a -q $'^Connection: keep-alive\r$' "$TEST_TMP/r10k"
check "idle timeout is announced" grep -a -q $'^Keep-Alive: timeout=2\r$' "$TEST_TMP/r10k"

# ab -k speaks HTTP/1.0 keep-alive.
ab -k -q -n 500 -c 4 "http://127.0.0.1:$PORT/" >"$TEST_TMP/ab" 2>&1
expect_eq "ab: complete" 500 "$(awk '/^Complete requests/ {print $3}' "$TEST_TMP/ab")"
expect_eq "ab: failed" 0 "$(awk '/^Failed requests/ {print $3}' "$TEST_TMP/ab")"
expect_eq "ab: keep-alive" 500 "$(awk '/^Keep-Alive requests/ {print $3}' "$TEST_TMP/ab")"

# Chunked bodies: curl -T - sends chunked.
head -c 300000 /dev/urandom >"$TEST_TMP/data"
status=$(curl -s -o /dev/null -w '%{http_code}' -T - \
         "http://127.0.0.1:$PORT/blobs/u/chunked" <"$TEST_TMP/data")
expect_eq "chunked upload" 200 "$status"
check "chunked bytes stored" cmp -s "$TEST_TMP/data" "$ROOT/u/default/c/chu/chunke/chunked"
printf 'PUT /blobs/u/ch2 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: 1\r\n\r\nGET /blobs/u/ch2 HTTP/1.1\r\nHost: x\r\n\r\n' \
    | raw "$PORT" --wait 1 >"$TEST_TMP/ch2" 2>/dev/null
check "chunked with extension and trailer" grep -a -q 'hello world$' "$TEST_TMP/ch2"
printf 'PUT /blobs/u/ch3 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX\r\n0\r\n\r\n' \
    | raw "$PORT" >"$TEST_TMP/ch3" 2>"$TEST_TMP/ch3.state"
check "malformed chunk: 400" grep -a -q '^HTTP/1.1 400' "$TEST_TMP/ch3"
expect_eq "malformed chunk closes" closed "$(cat "$TEST_TMP/ch3.state")"
check "malformed chunk stored nothing" test ! -e "$ROOT/u/default/c/ch3/ch3/ch3"

# Expect: 100-continue: "100 Continue" before the body is read.
head -c 5000 /dev/urandom >"$TEST_TMP/exp"
status=$(curl -s -o /dev/null -w '%{http_code}' -H 'Expect: 100-continue' \
         -T "$TEST_TMP/exp" "http://127.0.0.1:$PORT/blobs/u/exp")
expect_eq "curl -T with Expect" 200 "$status"
check "expect body stored" cmp -s "$TEST_TMP/exp" "$ROOT/u/default/e/exp/exp/exp"
{ printf 'PUT /blobs/u/exp2 HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n'; printf 'hello'; } \
    | raw "$PORT" --pause-after-head --wait 1 >"$TEST_TMP/e2" 2>/dev/null
check "100 Continue first" grep -a -q -z $'^HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200' "$TEST_TMP/e2"
# ... or the final error at once, without reading the body.
{ printf 'PUT /blobs/u/exp2 HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n'; printf 'hello'; } \
    | raw "$PORT" --pause-after-head --wait 1 >"$TEST_TMP/e3" 2>/dev/null
check "409 at once, no 100" grep -a -q '^HTTP/1.1 409' "$TEST_TMP/e3"
check "no 100 before a refusal" not grep -a -q '100 Continue' "$TEST_TMP/e3"

# An error answered before its body was read says it closes, and does.
printf 'PUT /blobs/u/a.b HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabcGET / HTTP/1.1\r\nHost: x\r\n\r\n' \
    | raw "$PORT" >"$TEST_TMP/early" 2>"$TEST_TMP/early.state"
check "early 400 says Connection: close" grep -a -q $'^Connection: close\r$' "$TEST_TMP/early"
check "early 400 does not promise keep-alive" not grep -a -q '^Keep-Alive' "$TEST_TMP/early"
expect_eq "early 400 closes" closed "$(cat "$TEST_TMP/early.state")"

# A flags body known to be too long: 413 at once, no 100 Continue.
curl -s -o /dev/null --data-binary '[]' -X PUT "http://127.0.0.1:$PORT/blobs/u/flagged"
printf 'POST /blobs/u/flagged HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 10000000\r\n\r\n' \
    | raw "$PORT" --wait 1 >"$TEST_TMP/bigflags" 2>/dev/null
check "413 at once for a long flags body" grep -a -q '^HTTP/1.1 413' "$TEST_TMP/bigflags"
check "no 100 before that 413" not grep -a -q '100 Continue' "$TEST_TMP/bigflags"

# Ambiguous framing: 400 and the connection closes.
bad_heads=(
    'PUT /blobs/u/f HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\nabc'
    'PUT /blobs/u/f HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd'
    'PUT /blobs/u/f HTTP/1.1\r\nHost: x\r\nContent-Length: 3x\r\n\r\nabc'
    'PUT /blobs/u/f HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: \r\nContent-Length: 3\r\n\r\nabc'
    'PUT /blobs/u/f HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: ,\r\nContent-Length: 3\r\n\r\nabc'
    'GET / HTTP/1.1\r\nHost: x\r\nX-Folded: a\r\n b\r\n\r\n'
    'GET / HTTP/1.1\nHost: x\r\n\r\n'
    'GET / HTTP/1.1\r\nHost: x\rY: z\r\n\r\n'
)
for bad in "${bad_heads[@]}"; do
    printf "$bad" | raw "$PORT" >"$TEST_TMP/bad" 2>"$TEST_TMP/bad.state"
    check "400 for $bad" grep -a -q '^HTTP/1.1 400' "$TEST_TMP/bad"
    expect_eq "closed after $bad" closed "$(cat "$TEST_TMP/bad.state")"
    check "one-line reason for $bad" test "$(sed -n '/^\r$/,$p' "$TEST_TMP/bad" | sed 1d | wc -l)" -eq 1
done
check "ambiguous PUTs stored nothing" test ! -e "$ROOT/u/default/f/f/f/f"

# Headers over 16 KiB: 431.
pad=$(head -c 17000 /dev/zero | tr '\0' a)
printf 'GET / HTTP/1.1\r\nHost: x\r\nX-Pad: %s\r\n\r\n' "$pad" \
    | raw "$PORT" >"$TEST_TMP/big" 2>/dev/null
check "431 for a 17 KB head" grep -a -q '^HTTP/1.1 431' "$TEST_TMP/big"

# An idle keep-alive connection is closed after --idle-timeout (2 s).
start=$SECONDS
printf 'GET / HTTP/1.1\r\nHost: x\r\n\r\n' | raw "$PORT" --wait 6 >/dev/null 2>"$TEST_TMP/idle.state"
expect_eq "idle connection closed by the server" closed "$(cat "$TEST_TMP/idle.state")"
check "idle close within the timeout" test $((SECONDS - start)) -le 4

stop_server "$SERVER_PID"
finish
