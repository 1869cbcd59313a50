#!/usr/bin/env bash
# Hostile requests against the real server: every limit answers with its
# own status right at its edge (431, 414, 431, 413), framing tricks are
# refused, the answer does not depend on how the bytes were cut into
# writes, and no encoding of a name reaches outside the blob root.
source "$(dirname "$0")/lib.sh"
source "$TOP/tests/integration/tools/hostile-lib.sh"

# The root sits in a "jail" holding a decoy that a name climbing out of
# the root would reach: <root>/../default/s/sec/secret/secret is where
# user ".." would keep blob "secret".
JAIL=$TEST_TMP/jail
ROOT=$JAIL/root
mkdir -p "$JAIL/default/s/sec/secret"
echo "SECRET OUTSIDE THE ROOT" >"$JAIL/default/s/sec/secret/secret"
find "$JAIL" | sort >"$TEST_TMP/jail.before"

PORT=$(free_port)
start_server "$ROOT" "$PORT" --max-body 1000

# pad N: N bytes of 'a'.
pad() {
    head -c "$1" /dev/zero | tr '\0' a
}

# status_of FILE: the status code of the raw answer in FILE.
status_of() {
    head -n 1 "$1" | cut -d' ' -f2
}

# ---- limits, each at its edge ------------------------------------------

# Request head: 16 KiB is served, a byte more is 431.
fixed=$(printf 'GET / HTTP/1.1\r\nHost: x\r\nX-Pad: \r\n\r\n' | wc -c)
for size in 16384 16385; do
    { printf 'GET / HTTP/1.1\r\nHost: x\r\nX-Pad: '; pad $((size - fixed))
      printf '\r\n\r\n'; } >"$TEST_TMP/head.$size"
    check "head of $size bytes built" test "$(wc -c <"$TEST_TMP/head.$size")" -eq "$size"
    raw "$PORT" --wait 1 <"$TEST_TMP/head.$size" >"$TEST_TMP/head.$size.out" 2>/dev/null
done
expect_eq "head of 16384 bytes" 200 "$(status_of "$TEST_TMP/head.16384.out")"
expect_eq "head of 16385 bytes" 431 "$(status_of "$TEST_TMP/head.16385.out")"
# The same limit reached with many small headers.
{ printf 'GET / HTTP/1.1\r\nHost: x\r\n'
  for i in $(seq 60); do printf 'X-%02d: %s\r\n' "$i" "$(pad 300)"; done
  printf '\r\n'; } | raw "$PORT" --wait 1 >"$TEST_TMP/wide" 2>"$TEST_TMP/wide.state"
expect_eq "60 headers of 300 bytes" 431 "$(status_of "$TEST_TMP/wide")"
expect_eq "431 closes cleanly" closed "$(cat "$TEST_TMP/wide.state")"

# Request target: 8 KiB is looked up, a byte more is 414.
for size in 8192 8193; do
    printf 'GET /%s HTTP/1.1\r\nHost: x\r\n\r\n' "$(pad $((size - 1)))" \
        | raw "$PORT" --wait 1 >"$TEST_TMP/target.$size" 2>/dev/null
done
expect_eq "target of 8192 bytes" 404 "$(status_of "$TEST_TMP/target.8192")"
expect_eq "target of 8193 bytes" 414 "$(status_of "$TEST_TMP/target.8193")"

# Header count: 64 fields are served, 65 are 431.
for count in 64 65; do
    { printf 'GET / HTTP/1.1\r\nHost: x\r\n'
      for i in $(seq $((count - 1))); do printf 'X-%d: %d\r\n' "$i" "$i"; done
      printf '\r\n'; } | raw "$PORT" --wait 1 >"$TEST_TMP/fields.$count" 2>/dev/null
done
expect_eq "64 header fields" 200 "$(status_of "$TEST_TMP/fields.64")"
expect_eq "65 header fields" 431 "$(status_of "$TEST_TMP/fields.65")"

# Body (--max-body 1000): the edge, by length and chunked.
pad 1000 >"$TEST_TMP/b1000"
pad 1001 >"$TEST_TMP/b1001"
req PUT /blobs/lim/at --data-binary @"$TEST_TMP/b1000"
expect_eq "body of 1000 bytes" 200 "$STATUS"
req PUT /blobs/lim/over --data-binary @"$TEST_TMP/b1001"
expect_eq "body of 1001 bytes" 413 "$STATUS"
req PUT /blobs/lim/cat -T - <"$TEST_TMP/b1000"
expect_eq "chunked body of 1000 bytes" 200 "$STATUS"
req PUT /blobs/lim/cover -T - <"$TEST_TMP/b1001"
expect_eq "chunked body of 1001 bytes" 413 "$STATUS"
check "413 stored nothing" test ! -e "$ROOT/lim/default/o/ove/over/over"
check "chunked 413 stored nothing" test ! -e "$ROOT/lim/default/c/cov/cover/cover"

# A length far over the limit is refused at once: no 100 Continue, no
# body read, and the refusal says that the connection closes (it does:
# the unread body stands in the way of the next request).
printf 'PUT /blobs/lim/huge HTTP/1.1\r\nHost: x\r\n%s\r\n%s\r\n\r\n' \
    'Content-Length: 1000000000000' 'Expect: 100-continue' \
    | raw "$PORT" --wait 1 >"$TEST_TMP/huge" 2>"$TEST_TMP/huge.state"
expect_eq "a terabyte announced" 413 "$(status_of "$TEST_TMP/huge")"
check "no 100 Continue before the 413" not grep -a -q ' 100 ' "$TEST_TMP/huge"
check "the 413 announces the close" grep -a -q -i $'^Connection: close\r$' "$TEST_TMP/huge"
# The same for a 409 before its body: the server closes, so it must say so.
printf 'PUT /blobs/lim/at HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n%s%s' \
    'hello' $'GET / HTTP/1.1\r\nHost: x\r\n\r\n' \
    | raw "$PORT" --wait 1 >"$TEST_TMP/conflict" 2>"$TEST_TMP/conflict.state"
expect_eq "409 before the body" 409 "$(status_of "$TEST_TMP/conflict")"
# Either the server reads past the body and answers the next request, or
# it closes and says so in the 409.
conflict_honest() {
    grep -a -q '^HTTP/1.1 200' "$TEST_TMP/conflict" ||
        grep -a -q -i $'^Connection: close\r$' "$TEST_TMP/conflict"
}
check "a 409 before the body: the next request is answered, or the close announced" \
    conflict_honest

# Flags bodies have their own small cap (4 KiB): 413 past it.
req POST /blobs/lim/at --data-binary "[\"$(pad 5000)\"]"
expect_eq "flags body over 4 KiB" 413 "$STATUS"

# ---- framing -----------------------------------------------------------

# A Transfer-Encoding that names no coding beside a Content-Length is
# still two framings: 400, as API.md says of both headers.
n=0
for te in '' ',' ' , '; do
    n=$((n + 1))
    printf 'PUT /blobs/lim/te%d HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n' "$n" >"$TEST_TMP/te.in"
    printf 'Transfer-Encoding: %s\r\n\r\nabc' "$te" >>"$TEST_TMP/te.in"
    raw "$PORT" --wait 1 <"$TEST_TMP/te.in" >"$TEST_TMP/te" 2>/dev/null
    expect_eq "Transfer-Encoding '$te' beside Content-Length" 400 "$(status_of "$TEST_TMP/te")"
done
expect_eq "no blob from an ambiguous framing" "" "$(find "$ROOT/lim" -name 'te*' -type f)"

# The same bytes get the same answer whether they arrive in one write or
# in two: the server re-parses on every read, so a limit that judges an
# unfinished line must agree with the one that judges the finished line.
{ pad 9000; printf ' / HTTP/1.1\r\nHost: x\r\n\r\n'; } >"$TEST_TMP/longmethod"
{ for _ in $(seq 100); do printf '\r\n'; done
  printf 'GET /%s HTTP/1.1\r\nHost: x\r\n\r\n' "$(pad 8100)"; } >"$TEST_TMP/blanklines"
for name in longmethod blanklines; do
    hostile pieces "$PORT" --split 0 <"$TEST_TMP/$name" >"$TEST_TMP/$name.whole"
    hostile pieces "$PORT" --split 8300 <"$TEST_TMP/$name" >"$TEST_TMP/$name.split"
    expect_eq "$name: same answer whole and cut at byte 8300" \
        "$(word status "$TEST_TMP/$name.whole")" "$(word status "$TEST_TMP/$name.split")"
done

# ---- names: decoded, then checked, in every place a name goes -----------

# Each of these is not a valid name once decoded (or is not even a valid
# target): 400 as user, as blob id and as namespace, for every method.
long201=$(pad 201)
enc201=$(for _ in $(seq 201); do printf '%%61'; done)
huge=$(pad 8000)
bad_names=(
    '..' '.' '%2e%2e' '%2E%2E' '.%2e' '%2e.' '%2e' '%252e%252e'
    '%c0%ae%c0%ae' '%2e%2e%2f%2e%2e' '%2f' '%2F' 'a%2fb' '%2fetc%2fpasswd'
    '%5c' '..%5c..' 'a%00b' '%00' 'a%00' '%00..' '%C3%A9' '%ff'
    '%e2%80%ae' '\xc3\xa9' 'a\x00b' '\x7f' 'a%20b' 'a+b' '%' '%2' '%zz'
    'a%' '.quota' 'a.flags' '~root' "$long201" "$enc201" "$huge"
)
{
    for name in "${bad_names[@]}"; do
        echo "400 GET /blobs/$name/"
        echo "400 GET /blobs/$name/secret"
        echo "400 PUT /blobs/$name/x"
        echo "400 DELETE /blobs/$name/secret"
        echo "400 POST /blobs/$name/secret"
        echo "400 GET /blobs/u/$name"
        echo "400 HEAD /blobs/u/$name"
        echo "400 PUT /blobs/u/$name"
        echo "400 DELETE /blobs/u/$name"
        echo "400 POST /blobs/u/$name"
        # In a query '+' is a space: still not a valid name.
        echo "400 GET /blobs/u/?namespace=$name"
        echo "400 GET /blobs/u/secret?namespace=$name"
        echo "400 PUT /blobs/u/x?namespace=$name"
    done
    # Raw slashes change the path's shape: refused one way or another.
    echo "4xx GET /blobs/../../etc/passwd"
    echo "4xx GET /blobs/u/../../../secret"
    echo "4xx PUT /blobs/u/../x"
    echo "4xx GET /blobs/u/%2e%2e/%2e%2e/secret"
    # The check is not refusing everything: encoded valid names work,
    # and 200 bytes is the longest name.
    echo "200 PUT /blobs/%61lice/%62lob"
    echo "200 GET /blobs/alice/blob"
    echo "200 PUT /blobs/u/$(pad 200)"
    echo "200 PUT /blobs/u/$(for _ in $(seq 200); do printf '%%62'; done)"
    echo "200 PUT /blobs/u/x?namespace=%6e%73"
} >"$TEST_TMP/names.expected"
cut -d' ' -f2- "$TEST_TMP/names.expected" >"$TEST_TMP/names.requests"
hostile requests "$PORT" --input "$TEST_TMP/names.requests" >"$TEST_TMP/names.got"

expect_eq "every name request answered" \
    "$(wc -l <"$TEST_TMP/names.expected")" "$(wc -l <"$TEST_TMP/names.got")"
paste -d' ' <(cut -d' ' -f1 "$TEST_TMP/names.expected") "$TEST_TMP/names.got" \
    | awk '{ want = $1; got = $2
             ok = (want == "4xx") ? (got ~ /^4[0-9][0-9]$/) : (got == want)
             if (!ok) print "want " want ", got " got ": " $3 " " substr($4, 1, 80) }' \
    >"$TEST_TMP/names.wrong"
expect_eq "names: every answer as expected ($(wc -l <"$TEST_TMP/names.got") requests)" \
    "" "$(head -n 20 "$TEST_TMP/names.wrong")"

find "$JAIL" -path "$ROOT" -prune -o -print | sort >"$TEST_TMP/jail.after"
expect_eq "nothing appeared or vanished outside the root" \
    "$(grep -v -x "$ROOT" "$TEST_TMP/jail.before")" "$(grep -v -x "$ROOT" "$TEST_TMP/jail.after")"
expect_eq "the decoy outside is untouched" "SECRET OUTSIDE THE ROOT" \
    "$(cat "$JAIL/default/s/sec/secret/secret")"
expect_eq "only valid users under the root" ".quota alice lim u" \
    "$(ls -A "$ROOT" | tr '\n' ' ' | sed 's/ $//')"
expect_eq "no name led to a 500" "" "$(grep -E '\((500)\)' "$TEST_TMP/server-$PORT.log")"

check "server survived it all" alive "$SERVER_PID"
stop_server "$SERVER_PID"
finish
