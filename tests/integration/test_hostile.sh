#!/usr/bin/env bash
# Slow and greedy clients against the real server: each of the three
# deadlines (head, body, idle) closes what it should and only that, the
# clients that behave keep being served promptly meanwhile, and every
# close is polite (the answer is read, never lost to a reset).
source "$(dirname "$0")/lib.sh"
source "$TOP/tests/integration/tools/hostile-lib.sh"

# Room for a few hundred client sockets in this shell's children.
ulimit -n 4096 2>/dev/null

ROOT=$TEST_TMP/root
PORT=$(free_port)
start_server "$ROOT" "$PORT" --head-timeout 1 --body-timeout 1 \
    --idle-timeout 1

# Slowloris: 300 connections trickle a head one byte every 100 ms and
# never finish it. Each must be closed at the head deadline (1 s), with a
# 408 and a clean close, while a client that behaves is timed meanwhile.
hostile slowloris "$PORT" --conns 300 --interval 0.1 --limit 5 \
    >"$TEST_TMP/loris" &
loris=$!
sleep 0.2
hostile timed "$PORT" --count 40 --interval 0.05 >"$TEST_TMP/timed"
wait "$loris"
first=$(word min_life "$TEST_TMP/loris")
last=$(word max_life "$TEST_TMP/loris")
slowest=$(word max_ms "$TEST_TMP/timed")
expect_eq "slowloris: every connection ended" 300 "$(word ended "$TEST_TMP/loris")"
expect_eq "slowloris: none left open" 0 "$(word still_open "$TEST_TMP/loris")"
expect_eq "slowloris: told 408 before the close" 300 "$(word s408 "$TEST_TMP/loris")"
expect_eq "slowloris: no reset" 0 "$(word reset "$TEST_TMP/loris")"
check "slowloris: none closed before the deadline ($first s)" at_least "$first" 0.9
check "slowloris: all closed at the deadline ($last s)" at_most "$last" 1.6
expect_eq "timed client beside slowloris: no failure" 0 "$(word failed "$TEST_TMP/timed")"
expect_eq "timed client beside slowloris: all answered" 40 "$(word ok "$TEST_TMP/timed")"
check "timed client beside slowloris: slowest $slowest ms <= 250" at_most "$slowest" 250
note "slowloris: 300 connections lived $first..$last s; a timed client" \
    "meanwhile: median $(word median_ms "$TEST_TMP/timed") ms, slowest $slowest ms"

# The head deadline runs from the connection's start: waiting 0.7 s
# before the first byte does not buy another full second.
hostile slowloris "$PORT" --conns 10 --interval 0.05 --delay 0.7 --limit 4 \
    >"$TEST_TMP/late"
last=$(word max_life "$TEST_TMP/late")
check "late slowloris: closed at the deadline set at accept ($last s, want <= 1.4)" \
    at_most "$last" 1.4

# A connection that sends nothing at all is closed at the head deadline.
hostile slowloris "$PORT" --conns 10 --delay 99 --limit 4 >"$TEST_TMP/silent"
expect_eq "silent connections: all closed" 10 "$(word ended "$TEST_TMP/silent")"
expect_eq "silent connections: no reset" 0 "$(word reset "$TEST_TMP/silent")"
last=$(word max_life "$TEST_TMP/silent")
check "silent connections: closed at the deadline ($last s)" at_most "$last" 1.6

# A body that makes progress (a byte every 0.4 s, under the 1 s body
# deadline) is never cut; once it stalls, 408 about a second later, and
# nothing of it is stored.
hostile slowbody "$PORT" --path /blobs/slow/b1 --length 100 --send 6 \
    --interval 0.4 --wait 4 >"$TEST_TMP/slowbody"
after=$(word after_last "$TEST_TMP/slowbody")
expect_eq "slow body: not cut while it makes progress" 0 "$(word early "$TEST_TMP/slowbody")"
expect_eq "slow body: 408 once it stalls" 408 "$(word status "$TEST_TMP/slowbody")"
check "slow body: 408 at the body deadline ($after s after the last byte)" \
    at_most "$after" 1.8
req GET /blobs/slow/b1
expect_eq "slow body: the cut upload is not visible" 404 "$STATUS"
expect_eq "slow body: nothing stored" "" "$(find "$ROOT/slow" -type f 2>/dev/null)"

# A client that stops reading a download is dropped after the body
# deadline (it governs writes too), not kept forever.
head -c $((8 * 1024 * 1024)) /dev/urandom >"$TEST_TMP/big"
req PUT /blobs/big/b8 --data-binary @"$TEST_TMP/big"
expect_eq "8 MiB blob stored" 200 "$STATUS"
hostile slowread "$PORT" --path /blobs/big/b8 --stall --rcvbuf 4096 \
    --timeout 4 >"$TEST_TMP/stall" 2>/dev/null &
staller=$!
sleep 0.3
expect_eq "stalled reader: connected" 1 "$(established "$PORT")"
check "stalled reader: dropped after the body deadline" \
    wait_until 3 connections_below "$PORT" 1
wait "$staller"

# A client that pipelines without ever reading: the server stops reading
# once its answers pile up, so its memory stays flat, then drops it.
rss_before=$(rss_kb "$SERVER_PID")
hostile pipeline "$PORT" --requests 1000000 --seconds 4 >"$TEST_TMP/pipe" &
piper=$!
hostile timed "$PORT" --count 20 --interval 0.05 >"$TEST_TMP/timed2"
rss_peak=$(rss_kb "$SERVER_PID")
wait "$piper"
grown=$((rss_peak - rss_before))
pushed=$(word requests_sent "$TEST_TMP/pipe")
slowest=$(word max_ms "$TEST_TMP/timed2")
note "pipeliner: server RSS $rss_before -> $rss_peak KiB;" \
    "$pushed requests pushed before it stalled"
check "pipeliner: server memory grew $((grown / 1024)) MiB, <= 32" \
    test "$grown" -le $((32 * 1024))
check "pipeliner: it could not push everything ($pushed of 1000000)" \
    test "$pushed" -lt 1000000
check "pipeliner: dropped once it stopped reading" \
    wait_until 2 connections_below "$PORT" 1
expect_eq "timed client beside the pipeliner: no failure" 0 "$(word failed "$TEST_TMP/timed2")"
check "timed client beside the pipeliner: slowest $slowest ms <= 250" \
    at_most "$slowest" 250

# The idle deadline (1 s) against a request sent right at it, 300 times:
# each is answered or meets a clean end of stream, never a reset.
hostile idlerace "$PORT" --conns 100 --rounds 3 --idle 1 --spread-ms 15 \
    >"$TEST_TMP/race"
expect_eq "idle race: no reset" 0 "$(word reset "$TEST_TMP/race")"
expect_eq "idle race: nothing else odd" 0 "$(word other "$TEST_TMP/race")"
note "idle race: $(cat "$TEST_TMP/race")"
check "idle race: some requests beat the deadline" \
    at_least "$(word answered "$TEST_TMP/race")" 1
check "idle race: some met the close" at_least "$(word clean "$TEST_TMP/race")" 1

# Polite closes: after an error, and after Connection: close, the peer
# may still be sending (here 300 KB of junk); it still reads the whole
# answer and then a clean end, not a reset.
head -c 300000 /dev/zero | tr '\0' j >"$TEST_TMP/junk"
{ printf 'GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n'
  cat "$TEST_TMP/junk"; } | raw "$PORT" --wait 3 >"$TEST_TMP/err" 2>"$TEST_TMP/err.state"
check "error then junk: the 400 arrives" grep -a -q '^HTTP/1.1 400' "$TEST_TMP/err"
expect_eq "error then junk: clean close" closed "$(cat "$TEST_TMP/err.state")"
head -c 100000 /dev/urandom >"$TEST_TMP/blob"
req PUT /blobs/polite/b --data-binary @"$TEST_TMP/blob"
{ printf 'GET /blobs/polite/b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
  cat "$TEST_TMP/junk"; } | raw "$PORT" --wait 3 >"$TEST_TMP/closing" 2>"$TEST_TMP/closing.state"
expect_eq "close then junk: clean close" closed "$(cat "$TEST_TMP/closing.state")"
sed '1,/^\r$/d' "$TEST_TMP/closing" >"$TEST_TMP/closing.body"
check "close then junk: the whole blob arrives" \
    cmp -s "$TEST_TMP/blob" "$TEST_TMP/closing.body"

check "server survived it all" alive "$SERVER_PID"
stop_server "$SERVER_PID"
finish
