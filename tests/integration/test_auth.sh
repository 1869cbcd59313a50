#!/usr/bin/env bash
# Token authentication: the 401/403 matrix, GET / open, 100-continue
# refused at once, tokens never in the logs, SIGHUP reloading the file.
source "$(dirname "$0")/lib.sh"

ROOT=$TEST_TMP/root
PORT=$(free_port)
alice_token=alice-secret-7f3a9c
bob_token=bob-secret-11d0e2
{
    echo "# user sha256(token)"
    echo "alice $(printf %s "$alice_token" | sha256sum | cut -d' ' -f1)"
    echo
    echo "bob   $(printf %s "$bob_token" | sha256sum | cut -d' ' -f1)"
} >"$TEST_TMP/tokens"
start_server "$ROOT" "$PORT" --tokens "$TEST_TMP/tokens" \
    --access-log="$TEST_TMP/access.log" --log-level debug

token() { printf 'Authorization: Token %s' "$(printf %s "$1:$2" | base64 -w0)"; }

req GET /
expect_req "GET / stays open" 200 ""

req PUT /blobs/alice/a1 --data-binary hello
expect_eq "no token" 401 "$STATUS"
expect_eq "WWW-Authenticate" "Token" "$(header WWW-Authenticate)"
check "no token: nothing stored" test ! -e "$ROOT/alice"

req PUT /blobs/alice/a1 --data-binary hello -H "$(token alice wrong)"
expect_eq "wrong token" 401 "$STATUS"
req PUT /blobs/alice/a1 --data-binary hello -H "$(token carol "$alice_token")"
expect_eq "unknown user" 401 "$STATUS"
req PUT /blobs/alice/a1 --data-binary hello -H 'Authorization: Token !!!!'
expect_eq "malformed base64" 401 "$STATUS"
req PUT /blobs/alice/a1 --data-binary hello \
    -H "Authorization: Token $(printf %s "alice$alice_token" | base64 -w0)"
expect_eq "no colon" 401 "$STATUS"
req PUT /blobs/alice/a1 --data-binary hello \
    -H "Authorization: Basic $(printf %s "alice:$alice_token" | base64 -w0)"
expect_eq "another scheme" 401 "$STATUS"

req PUT /blobs/alice/a1 --data-binary hello -H "$(token alice "$alice_token")"
expect_eq "right token" 200 "$STATUS"
req GET /blobs/alice/a1 -H "$(token alice "$alice_token")"
expect_req "read own blob" 200 hello
req GET /blobs/alice/ -H "$(token alice "$alice_token")"
expect_req "list own blobs" 200 '["a1"]'

req GET /blobs/alice/a1 -H "$(token bob "$bob_token")"
expect_eq "valid token, other user" 403 "$STATUS"
req GET /blobs/alice/ -H "$(token bob "$bob_token")"
expect_eq "list other user" 403 "$STATUS"
req DELETE /blobs/alice/a1 -H "$(token bob "$bob_token")"
expect_eq "delete other user's blob" 403 "$STATUS"
req GET /blobs/alice/a1 -H "$(token alice "$alice_token")"
expect_eq "still there" 200 "$STATUS"

# Expect: 100-continue without a token: 401 at once, no 100.
{ printf 'PUT /blobs/alice/a2 HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n'
  printf 'hello'; } | raw "$PORT" --pause-after-head --wait 1 >"$TEST_TMP/e" 2>/dev/null
check "401 at once for 100-continue" grep -a -q '^HTTP/1.1 401' "$TEST_TMP/e"
check "no 100 before 401" not grep -a -q '100 Continue' "$TEST_TMP/e"

# SIGHUP reloads the tokens: a new token for carol works afterwards.
carol_token=carol-secret-88
echo "carol $(printf %s "$carol_token" | sha256sum | cut -d' ' -f1)" >>"$TEST_TMP/tokens"
req GET /blobs/carol/ -H "$(token carol "$carol_token")"
expect_eq "carol before reload" 401 "$STATUS"
kill -HUP "$SERVER_PID"
for _ in $(seq 50); do
    grep -q 'reloaded 3 tokens' "$TEST_TMP/server-$PORT.log" && break
    sleep 0.1
done
req GET /blobs/carol/ -H "$(token carol "$carol_token")"
expect_req "carol after reload" 200 "[]"
# A broken file on reload keeps the old tokens.
echo "broken line with three words" >>"$TEST_TMP/tokens"
kill -HUP "$SERVER_PID"
for _ in $(seq 50); do
    grep -q 'keeping the old tokens' "$TEST_TMP/server-$PORT.log" && break
    sleep 0.1
done
req GET /blobs/carol/ -H "$(token carol "$carol_token")"
expect_eq "old tokens kept after a bad reload" 200 "$STATUS"

# Quotes in a path cannot break the access log's quoting.
printf 'GET /"x"\\y HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' \
    | raw "$PORT" >/dev/null 2>&1

stop_server "$SERVER_PID"
check "quotes in a path are escaped in the access log" \
    grep -q -F '"GET /%22x%22%5Cy" 404' "$TEST_TMP/access.log"

# Tokens never reach the logs.
for secret in "$alice_token" "$bob_token" "$carol_token" \
    "$(printf %s "alice:$alice_token" | base64 -w0)"; do
    check "no token in the logs" not grep -q -F "$secret" \
        "$TEST_TMP/access.log" "$TEST_TMP/server-$PORT.log"
done
check "the access log has lines" test -s "$TEST_TMP/access.log"

# A bad tokens file stops the server at start with a clear error.
echo "alice nothex" >"$TEST_TMP/bad-tokens"
"$BIN_DIR/blobs-server" --tokens "$TEST_TMP/bad-tokens" "$ROOT" "$(free_port)" \
    2>"$TEST_TMP/bad.err"
expect_eq "bad tokens file: exit 2" 2 "$?"
check "bad tokens file: names the line" grep -q 'bad-tokens:1' "$TEST_TMP/bad.err"

finish
