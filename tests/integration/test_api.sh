#!/usr/bin/env bash
# Every row of API.md's endpoint table against the real server, with the
# on-disk layout checked too.
source "$(dirname "$0")/lib.sh"

ROOT=$TEST_TMP/root
PORT=$(free_port)
start_server "$ROOT" "$PORT" --quota 1M --max-body 600K

head -c 20000 /dev/urandom >"$TEST_TMP/blob"
printf 'tiny' >"$TEST_TMP/tiny"
: >"$TEST_TMP/empty"

# GET /: the empty baseline.
req GET /
expect_req "GET /" 200 ""
expect_eq "GET / length" 0 "$(header Content-Length)"

# Listing an unknown user: an empty array, with or without the slash.
req GET /blobs/alice/
expect_req "empty list" 200 "[]"
expect_eq "list content type" application/json "$(header Content-Type)"
req GET /blobs/alice
expect_req "list without slash" 200 "[]"

# PUT, then the layout on disk.
req PUT /blobs/alice/b1abcdefgh --data-binary @"$TEST_TMP/blob"
expect_req "put" 200 ""
stored=$ROOT/alice/default/b/b1a/b1abcd/b1abcdefgh
check "blob stored at the original layout" cmp -s "$stored" "$TEST_TMP/blob"

req PUT /blobs/alice/b1abcdefgh --data-binary @"$TEST_TMP/tiny"
expect_req "put over an existing id" 409 "Blob already exists: b1abcdefgh"
expect_eq "error content type" text/plain "$(header Content-Type)"
check "409 left the bytes alone" cmp -s "$stored" "$TEST_TMP/blob"

# GET: the bytes, the type, and the Tag (base64url of the last 16 bytes).
req GET /blobs/alice/b1abcdefgh
expect_eq "get status" 200 "$STATUS"
check "get returns the bytes" cmp -s "$TEST_TMP/body" "$TEST_TMP/blob"
expect_eq "get type" application/octet-stream "$(header Content-Type)"
tag=$(tail -c 16 "$TEST_TMP/blob" | /usr/bin/python3 -c \
      'import base64,sys; print(base64.urlsafe_b64encode(sys.stdin.buffer.read()).decode())')
expect_eq "Tag header" "$tag" "$(header Tag)"

# Short and empty blobs have no Tag (and no 500).
req PUT /blobs/alice/tiny --data-binary @"$TEST_TMP/tiny"
expect_req "put tiny" 200
req GET /blobs/alice/tiny
expect_req "get tiny" 200 "tiny"
expect_eq "no Tag under 16 bytes" "" "$(header Tag)"
req PUT /blobs/alice/empty --data-binary @"$TEST_TMP/empty"
expect_req "put empty" 200
req GET /blobs/alice/empty
expect_req "get empty" 200 ""
expect_eq "empty length" 0 "$(header Content-Length)"
expect_eq "no Tag on empty" "" "$(header Tag)"

req GET /blobs/alice/missing
expect_req "get missing" 404 "Blob not found: missing"

# HEAD: the GET's status and headers, no body.
req HEAD /blobs/alice/b1abcdefgh
expect_req "head blob" 200 ""
expect_eq "head length" 20000 "$(header Content-Length)"
expect_eq "head tag" "$tag" "$(header Tag)"
req HEAD /blobs/alice/
expect_req "head list" 200 ""
expect_eq "head list length" 29 "$(header Content-Length)"
req HEAD /blobs/alice/missing
expect_eq "head missing" 404 "$STATUS"

# Listing and counting.
req GET /blobs/alice/
expect_req "list" 200 '["b1abcdefgh","empty","tiny"]'
req GET '/blobs/alice/?only_count=true'
expect_req "count" 200 '{"count": 3}'
req GET '/blobs/alice/?only_count=True'
expect_req "count with Soledad's True" 200 '{"count": 3}'
req GET '/blobs/alice/?only_count=false'
expect_req "only_count=false lists" 200 '["b1abcdefgh","empty","tiny"]'
req GET '/blobs/alice/?only_count=maybe'
expect_eq "bad boolean" 400 "$STATUS"

# Flags.
req GET '/blobs/alice/tiny?only_flags=true'
expect_req "no flags yet" 200 "[]"
req POST /blobs/alice/tiny --data-binary '["PROCESSING"]'
expect_req "set flags" 200 ""
req GET '/blobs/alice/tiny?only_flags=1'
expect_req "flags read back" 200 '["PROCESSING"]'
check "flags file beside the blob" \
    grep -q PROCESSING "$ROOT/alice/default/t/tin/tiny/tiny.flags"
req POST /blobs/alice/tiny --data-binary '["PENDING", "BOGUS"]'
expect_req "invalid flag" 406 "Invalid flag: BOGUS"
req GET '/blobs/alice/tiny?only_flags=yes'
expect_req "flags unchanged after 406" 200 '["PROCESSING"]'
req POST /blobs/alice/tiny --data-binary '["PEND\u0049NG", "PROCESSING"]'
expect_req "flag names with JSON escapes" 200 ""
req GET '/blobs/alice/tiny?only_flags=true'
expect_req "escaped flag read back" 200 '["PENDING","PROCESSING"]'
req POST /blobs/alice/tiny --data-binary '["PROCESSING"]'
req POST /blobs/alice/tiny --data-binary '{"flags": 1}'
expect_eq "flags body not an array" 400 "$STATUS"
req POST /blobs/alice/tiny --data-binary '["PENDING", 3]'
expect_eq "flags array of non-strings" 400 "$STATUS"
req POST /blobs/alice/missing --data-binary '["BOGUS"]'
expect_req "flags on a missing blob: 404 first" 404 "Blob not found: missing"
req GET '/blobs/alice/missing?only_flags=true'
expect_eq "flags of a missing blob" 404 "$STATUS"
req POST /blobs/alice/empty --data-binary '["PENDING","FAILED"]'
req GET '/blobs/alice/?filter_flag=PENDING'
expect_req "filter_flag" 200 '["empty"]'
req GET '/blobs/alice/?filter_flag=NOPE'
expect_eq "bad filter_flag" 400 "$STATUS"

# Ordering by date (set the mtimes by hand so the order is certain).
touch -d '2020-01-01' "$ROOT/alice/default/t/tin/tiny/tiny"
touch -d '2021-01-01' "$ROOT/alice/default/e/emp/empty/empty"
touch -d '2022-01-01' "$stored"
req GET '/blobs/alice/?order_by=date'
expect_req "oldest first" 200 '["tiny","empty","b1abcdefgh"]'
req GET '/blobs/alice/?order_by=%2Bdate'
expect_req "+date" 200 '["tiny","empty","b1abcdefgh"]'
req GET '/blobs/alice/?order_by=+date'
expect_req "+date sent unencoded (a space)" 200 '["tiny","empty","b1abcdefgh"]'
req GET '/blobs/alice/?order_by=-date'
expect_req "newest first" 200 '["b1abcdefgh","empty","tiny"]'
req GET '/blobs/alice/?order_by=size'
expect_eq "bad order_by answers 400" 400 "$STATUS"

# DELETE: tombstone, gone from lists and counts, allowed to come back.
req DELETE /blobs/alice/tiny
expect_req "delete" 200 ""
check "tombstone written" test -f "$ROOT/alice/default/t/tin/tiny/tiny.deleted"
check "blob removed" test ! -e "$ROOT/alice/default/t/tin/tiny/tiny"
check "flags removed" test ! -e "$ROOT/alice/default/t/tin/tiny/tiny.flags"
req DELETE /blobs/alice/tiny
expect_eq "delete twice" 404 "$STATUS"
req GET /blobs/alice/tiny
expect_eq "get deleted" 404 "$STATUS"
req GET '/blobs/alice/?only_count=true'
expect_req "count skips tombstones" 200 '{"count": 2}'
req GET '/blobs/alice/?deleted=true'
expect_req "list tombstones" 200 '["tiny"]'
req PUT /blobs/alice/tiny --data-binary @"$TEST_TMP/tiny"
expect_req "put after delete" 200
check "tombstone gone after put" \
    test ! -e "$ROOT/alice/default/t/tin/tiny/tiny.deleted"
req DELETE /blobs/alice/never
expect_eq "delete missing" 404 "$STATUS"

# Namespaces.
req PUT '/blobs/alice/n1?namespace=other' --data-binary @"$TEST_TMP/tiny"
expect_req "put in a namespace" 200
check "namespace on disk" test -f "$ROOT/alice/other/n/n1/n1/n1"
req GET '/blobs/alice/?namespace=other'
expect_req "list namespace" 200 '["n1"]'
req GET '/blobs/alice/n1'
expect_eq "not in the default namespace" 404 "$STATUS"
req GET '/blobs/alice/n1?namespace='
expect_eq "empty namespace is default" 404 "$STATUS"
req GET '/blobs/alice/?namespace=a.b'
expect_eq "bad namespace" 400 "$STATUS"

# Names: decoded first, then checked.
req GET '/blobs/al%69ce/tiny'
expect_req "encoded name decoded" 200 "tiny"
for bad in 'a.b' '%2e%2e' '..%2F..' 'a%2Fb' 'a%00b' '%C3%A9' 'a%zz' 'a+b'; do
    req GET "/blobs/$bad/"
    expect_eq "bad user $bad" 400 "$STATUS"
    req PUT "/blobs/alice/$bad" --data-binary x
    expect_eq "bad id $bad" 400 "$STATUS"
done
long=$(head -c 201 /dev/zero | tr '\0' a)
req PUT "/blobs/alice/$long" --data-binary x
expect_eq "201-byte id" 400 "$STATUS"
req PUT "/blobs/alice/${long:1}" --data-binary x
expect_eq "200-byte id" 200 "$STATUS"
expect_eq "bad names created nothing" ".quota alice" "$(ls -A "$ROOT" | tr '\n' ' ' | sed 's/ $//')"
expect_eq "nothing written beside the root" "root" "$(ls "$TEST_TMP" | grep -v -E '^(blob|tiny|empty|body|headers|server-.*\.log)$')"

# Methods and paths.
req PATCH /blobs/alice/tiny
expect_eq "unknown method on a blob" 405 "$STATUS"
expect_eq "Allow on a blob" "GET, HEAD, PUT, POST, DELETE" "$(header Allow)"
req DELETE /
expect_eq "DELETE /" 405 "$STATUS"
expect_eq "Allow on /" "GET, HEAD" "$(header Allow)"
req PUT /blobs/alice/
expect_eq "PUT on a list" 405 "$STATUS"
for path in /nope /blobs /blobs/ /blobs//x /blobs/alice/x/y /blobsx/alice/; do
    req GET "$path"
    expect_eq "404 for $path" 404 "$STATUS"
done

# Ranges (RFC 9110: the end is inclusive).
req GET /blobs/alice/b1abcdefgh -H 'Range: bytes=0-9'
expect_eq "range status" 206 "$STATUS"
expect_eq "range length" 10 "$(stat -c %s "$TEST_TMP/body")"
expect_eq "Content-Range" "bytes 0-9/20000" "$(header Content-Range)"
check "range bytes" cmp -s "$TEST_TMP/body" <(head -c 10 "$TEST_TMP/blob")
req GET /blobs/alice/b1abcdefgh -H 'Range: bytes=-16'
expect_eq "suffix range" 206 "$STATUS"
check "suffix bytes" cmp -s "$TEST_TMP/body" <(tail -c 16 "$TEST_TMP/blob")
req GET /blobs/alice/b1abcdefgh -H 'Range: bytes=19990-'
expect_eq "open range" "bytes 19990-19999/20000" "$(header Content-Range)"
req GET /blobs/alice/b1abcdefgh -H 'Range: bytes=20000-'
expect_eq "unsatisfiable range" 416 "$STATUS"
expect_eq "416 Content-Range" "bytes */20000" "$(header Content-Range)"
req GET /blobs/alice/b1abcdefgh -H 'Range: bytes=5-1'
expect_eq "malformed range" 416 "$STATUS"
req GET /blobs/alice/b1abcdefgh -H 'Range: Bytes=0-9'
expect_eq "range unit in any case" 206 "$STATUS"
req GET /blobs/alice/b1abcdefgh -H 'Range: items=0-9'
expect_eq "unknown range unit: ignored" 200 "$STATUS"
req GET /blobs/alice/b1abcdefgh -H 'Range: bytes=0-18446744073709551615'
expect_eq "range end past 64 bits" "bytes 0-19999/20000" "$(header Content-Range)"
req GET /blobs/alice/b1abcdefgh -H 'Range: bytes=-18446744073709551615'
expect_eq "suffix past 64 bits" "bytes 0-19999/20000" "$(header Content-Range)"
req GET /blobs/alice/b1abcdefgh -H 'Range: bytes=0-1,5-6'
expect_eq "several ranges: whole blob" 200 "$STATUS"
check "several ranges body" cmp -s "$TEST_TMP/body" "$TEST_TMP/blob"

# Quota (1 MiB here): reaching it exactly is allowed, a byte more is not.
used=$(find "$ROOT/alice" -type f ! -name '*.*' -printf '%s\n' | awk '{s+=$1} END {print s}')
left=$((1024 * 1024 - used))
head -c $((left - 500000)) /dev/zero >"$TEST_TMP/fill1"
head -c 500001 /dev/zero >"$TEST_TMP/over"
head -c 500000 /dev/zero >"$TEST_TMP/exact"
req PUT /blobs/alice/fill1 --data-binary @"$TEST_TMP/fill1"
expect_req "fill" 200
req PUT /blobs/alice/over --data-binary @"$TEST_TMP/over"
expect_eq "one byte over quota" 507 "$STATUS"
req PUT /blobs/alice/exact --data-binary @"$TEST_TMP/exact"
expect_eq "exactly at quota" 200 "$STATUS"
req PUT /blobs/alice/more --data-binary x
expect_eq "full user" 507 "$STATUS"
check "a refused PUT leaves no folder" test ! -e "$ROOT/alice/default/m/mor"
req PUT /blobs/bob/other --data-binary @"$TEST_TMP/exact"
expect_eq "quota is per user" 200 "$STATUS"
req DELETE /blobs/alice/exact
req PUT /blobs/alice/again --data-binary @"$TEST_TMP/exact"
expect_eq "delete gives quota back" 200 "$STATUS"

# Body over the configured maximum (600K here): 413.
head -c $((600 * 1024 + 1)) /dev/zero >"$TEST_TMP/big"
req PUT /blobs/carol/big --data-binary @"$TEST_TMP/big"
expect_eq "body over --max-body" 413 "$STATUS"
check "413 left nothing" test ! -e "$ROOT/carol/default/b/big/big/big"

stop_server "$SERVER_PID"
finish
