#!/usr/bin/env bash
# A disk that fills up, and a quota that runs out, in the middle of an
# upload: 507, the partial blob gone, the space and the quota given back,
# the client told properly, and the server serving on. The disk is a 2 MiB
# tmpfs, which needs root; without it that part is skipped, visibly.
source "$(dirname "$0")/lib.sh"
source "$TOP/tests/integration/tools/hostile-lib.sh"

# status_of FILE: the status code of the last answer in a raw reply.
status_of() {
    grep -a -o '^HTTP/1.1 [0-9]*' "$1" | tail -n 1 | cut -d' ' -f2
}

# only_files DIR: the regular files under DIR, bookkeeping aside.
only_files() {
    find "$1" -type f ! -path '*/.quota/*' | sed "s|^$1/||" | sort | tr '\n' ' '
}

head -c 1000000 /dev/urandom >"$TEST_TMP/1m"
head -c 3000000 /dev/urandom >"$TEST_TMP/3m"

# ---- a full disk ---------------------------------------------------------

DISK=""
unmount_disk() {
    if [ -n "$DISK" ]; then
        umount "$DISK" 2>/dev/null || umount -l "$DISK" 2>/dev/null
        rmdir "$DISK" 2>/dev/null
    fi
}
# Servers first (they hold files on the disk), then the disk.
trap 'cleanup; unmount_disk' EXIT

if [ "$(id -u)" -ne 0 ]; then
    echo "SKIP: the full-disk tests need root to mount a tmpfs"
else
    DISK=$(mktemp -d /tmp/blobs-disk.XXXXXX)
    if ! mount -t tmpfs -o size=2m,mode=0755 tmpfs "$DISK"; then
        echo "SKIP: cannot mount a tmpfs on $DISK"
        rmdir "$DISK"
        DISK=""
    fi
fi

if [ -n "$DISK" ]; then
    ROOT=$DISK/root
    PORT=$(free_port)
    start_server "$ROOT" "$PORT" --quota 4M

    req PUT /blobs/u/keep --data-binary @"$TEST_TMP/1m"
    expect_eq "1 MB fits on the 2 MiB disk" 200 "$STATUS"
    free_before=$(stat -f -c %a "$DISK")

    # 3 MB announced with Content-Length: the disk fills half-way.
    req PUT /blobs/u/big --data-binary @"$TEST_TMP/3m"
    expect_req "disk full, by length: 507" 507 "No space left on device"
    req GET /blobs/u/big
    expect_eq "disk full, by length: nothing visible" 404 "$STATUS"
    expect_eq "disk full, by length: no partial file" "u/default/k/kee/keep/keep " \
        "$(only_files "$ROOT")"
    expect_eq "disk full, by length: the space is given back" "$free_before" \
        "$(stat -f -c %a "$DISK")"

    # The same with a chunked body, whose length nobody knew.
    req PUT /blobs/u/bigc -T - <"$TEST_TMP/3m"
    expect_req "disk full, chunked: 507" 507 "No space left on device"
    expect_eq "disk full, chunked: no partial file" "u/default/k/kee/keep/keep " \
        "$(only_files "$ROOT")"
    expect_eq "disk full, chunked: the space is given back" "$free_before" \
        "$(stat -f -c %a "$DISK")"

    # Byte by byte on one connection, the rest of the body still coming:
    # the client reads the 507 whole, and the server is fine after.
    { printf 'PUT /blobs/u/raw HTTP/1.1\r\nHost: x\r\nContent-Length: 3000000\r\n\r\n'
      cat "$TEST_TMP/3m"; } | raw "$PORT" --wait 3 >"$TEST_TMP/raw507" 2>/dev/null
    expect_eq "disk full, raw: the 507 arrives" 507 "$(status_of "$TEST_TMP/raw507")"
    check "disk full, raw: with its reason" grep -a -q 'No space left on device' "$TEST_TMP/raw507"

    # The reserved quota came back too (4M quota, 1M used): a 3 MB PUT
    # is still within quota, so it gets its 100 Continue.
    printf 'PUT /blobs/u/again HTTP/1.1\r\nHost: x\r\n%s\r\n%s\r\n\r\n' \
        'Content-Length: 3000000' 'Expect: 100-continue' | raw "$PORT" --pause-after-head --wait 0.5 >"$TEST_TMP/quota-back" 2>/dev/null
    check "disk full: the failed uploads' quota is given back" \
        grep -a -q '^HTTP/1.1 100 Continue' "$TEST_TMP/quota-back"

    # The freed space is really usable: nearly all of it, in one blob.
    head -c $(( (free_before - 16) * $(stat -f -c %S "$DISK") )) /dev/zero >"$TEST_TMP/fill"
    req PUT /blobs/u/fill --data-binary @"$TEST_TMP/fill"
    expect_eq "the space left after the failures is usable" 200 "$STATUS"
    req DELETE /blobs/u/fill
    expect_eq "and can be freed again" 200 "$STATUS"

    check "disk full: the server is alive" alive "$SERVER_PID"
    stop_server "$SERVER_PID"

    # Out of inodes rather than bytes: new folders and files fail to be
    # made. That is a full disk too: 507, never 500.
    umount "$DISK"
    mount -t tmpfs -o size=2m,nr_inodes=24,mode=0755 tmpfs "$DISK"
    PORT=$(free_port)
    start_server "$ROOT" "$PORT"
    statuses=""
    for i in $(seq 12); do
        req PUT "/blobs/user$i/b$i" --data-binary x
        statuses="$statuses$STATUS "
    done
    note "out of inodes, 12 new users: $statuses"
    check "out of inodes: some fit first" grep -q '^200 ' <<<"$statuses"
    check "out of inodes: then 507" grep -q '507 $' <<<"$statuses"
    check "out of inodes: never a 500" not grep -q 500 <<<"$statuses"
    stop_server "$SERVER_PID"
fi

# ---- the quota, crossed half-way through a chunked upload -----------------

ROOT=$TEST_TMP/root
PORT=$(free_port)
start_server "$ROOT" "$PORT" --quota 1M

head -c 1500000 /dev/urandom >"$TEST_TMP/1.5m"
req PUT /blobs/q/over -T - <"$TEST_TMP/1.5m"
expect_req "quota crossed mid-body: 507" 507 "Quota exceeded"
req GET /blobs/q/over
expect_eq "quota crossed mid-body: nothing visible" 404 "$STATUS"
expect_eq "quota crossed mid-body: no partial file" "" "$(only_files "$ROOT")"
head -c 1048576 /dev/urandom >"$TEST_TMP/exact"
req PUT /blobs/q/exact --data-binary @"$TEST_TMP/exact"
expect_eq "quota crossed mid-body: all of it given back (1 MiB fits exactly)" 200 "$STATUS"
req PUT /blobs/q/more --data-binary x
expect_eq "and then not a byte more" 507 "$STATUS"

# Over quota by Content-Length is refused before the body: the rest of
# that connection is sane (the answer says it closes, and it does).
{ printf 'PUT /blobs/q/early HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n0123456789'
  printf 'GET / HTTP/1.1\r\nHost: x\r\n\r\n'; } \
    | raw "$PORT" --wait 2 >"$TEST_TMP/early" 2>"$TEST_TMP/early.state"
check "over quota by length: 507" grep -a -q '^HTTP/1.1 507' "$TEST_TMP/early"
early_honest() {
    grep -a -q '^HTTP/1.1 200' "$TEST_TMP/early" ||
        grep -a -q -i $'^Connection: close\r$' "$TEST_TMP/early"
}
check "over quota by length: the next request is answered, or the close announced" \
    early_honest

check "quota: the server is alive" alive "$SERVER_PID"
stop_server "$SERVER_PID"
finish
