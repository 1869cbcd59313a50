#!/usr/bin/env bash
# ./blobs-bench against the real server: every action with small amounts
# ends with exit status 0, no error, and the right blobs on disk under the
# layout of API.md; then the load models and output formats on top.
source "$(dirname "$0")/lib.sh"

ROOT=$TEST_TMP/root
PORT=$(free_port)
URL=http://127.0.0.1:$PORT
BENCH=$BIN_DIR/blobs-bench
AMOUNT=20
SIZE_KIB=2

mkdir -p "$ROOT"
start_server "$ROOT" "$PORT"

# bench NAME ARGS...: run the bench, output in $TEST_TMP/NAME.out, its
# stderr in NAME.log (scanned for sanitizer reports), status in $STATUS.
bench() {
    local name=$1
    shift
    "$BENCH" --url "$URL" "$@" >"$TEST_TMP/$name.out" 2>"$TEST_TMP/$name.log"
    STATUS=$?
}

# column NAME RUN [ROW]: a column of a run's TSV output, by its name.
column() {
    awk -F'\t' -v name="$1" -v row="${3:-2}" '
        NR == 1 { for (i = 1; i <= NF; i++) if ($i == name) c = i }
        NR == row { print $c }' "$TEST_TMP/$2.out"
}

# The path of a blob, as API.md lays it out.
blob_path() {
    local user=$1 id=$2
    echo "$ROOT/$user/default/${id:0:1}/${id:0:3}/${id:0:6}/$id"
}

live_blobs() {
    find "$ROOT/$1" -type f ! -name '*.*' 2>/dev/null | sort
}

# --- every action, zero errors --------------------------------------------

for action in baseline list put get flag delete; do
    bench "$action" "--$action" "$AMOUNT" "$SIZE_KIB" --user "u_$action" \
        -c 4 --format tsv
    expect_eq "$action: exit status" 0 "$STATUS"
    expect_eq "$action: operations" "$AMOUNT" "$(column operations "$action")"
    expect_eq "$action: errors" 0 "$(column errors "$action")"
    expect_eq "$action: established" 4 "$(column established "$action")"
    case $action in
    get|flag|delete) requests=$((2 * AMOUNT)) ;;
    *) requests=$AMOUNT ;;
    esac
    expect_eq "$action: requests" "$requests" "$(column requests "$action")"
done

# --- the blobs on disk ----------------------------------------------------

# Baseline and list leave nothing behind.
check "baseline left no folder" [ ! -e "$ROOT/u_baseline" ]
check "list left no folder" [ ! -e "$ROOT/u_list" ]

# put and get leave AMOUNT blobs of SIZE KiB, each starting with its own
# id, then the shared pattern.
for user in u_put u_get; do
    expect_eq "$user: blobs" "$AMOUNT" "$(live_blobs "$user" | wc -l)"
    first=""
    for file in $(live_blobs "$user"); do
        id=$(basename "$file")
        check "$user: $id is a valid name" \
            grep -qE '^[0-9a-f]{16}-[0-9]+$' <<<"$id"
        check "$user: $id where API.md puts it" \
            [ "$file" = "$(blob_path "$user" "$id")" ]
        expect_eq "$user: $id size" $((SIZE_KIB * 1024)) "$(stat -c %s "$file")"
        expect_eq "$user: $id starts with its id" "$id" \
            "$(head -c "${#id}" "$file")"
        if [ -z "$first" ]; then
            first=$file
        else
            check "$user: $id has the shared pattern" \
                cmp -s -i 40 "$first" "$file"
        fi
    done
done

# flag: every blob flagged PROCESSING.
expect_eq "u_flag: blobs" "$AMOUNT" "$(live_blobs u_flag | wc -l)"
expect_eq "u_flag: flag files" "$AMOUNT" \
    "$(find "$ROOT/u_flag" -name '*.flags' | wc -l)"
for file in $(find "$ROOT/u_flag" -name '*.flags'); do
    expect_eq "u_flag: $(basename "$file")" '["PROCESSING"]' \
        "$(tr -d ' \n' <"$file")"
done

# delete: no live blob, a tombstone for each.
expect_eq "u_delete: live blobs" 0 "$(live_blobs u_delete | wc -l)"
expect_eq "u_delete: tombstones" "$AMOUNT" \
    "$(find "$ROOT/u_delete" -name '*.deleted' | wc -l)"

# Listing a user with blobs checks the JSON array it gets.
bench list_full --list 10 0 --user u_put --format tsv
expect_eq "list of a full folder: exit status" 0 "$STATUS"
expect_eq "list of a full folder: errors" 0 "$(column errors list_full)"

# --- threads, repeats, warm-up ---------------------------------------------

bench threads --put 30 1 --user u_threads -c 5 -t 2 --format tsv
expect_eq "threads: exit status" 0 "$STATUS"
expect_eq "threads: connections" 5 "$(column connections threads)"
expect_eq "threads: established" 5 "$(column established threads)"
expect_eq "threads: threads" 2 "$(column threads threads)"
expect_eq "threads: blobs" 30 "$(live_blobs u_threads | wc -l)"

# More threads than connections: every connection still established.
bench few --put 3 1 --user u_few -c 3 -t 8 --format tsv
expect_eq "threads over connections: exit status" 0 "$STATUS"
expect_eq "threads over connections: threads" 3 \
    "$(column threads few)"
expect_eq "threads over connections: established" 3 \
    "$(column established few)"

bench repeats --put 5 1 --user u_repeats -r 3 --format tsv
expect_eq "repeats: exit status" 0 "$STATUS"
expect_eq "repeats: rows" 4 "$(wc -l <"$TEST_TMP/repeats.out")"
expect_eq "repeats: blobs, no id used twice" 15 \
    "$(live_blobs u_repeats | wc -l)"

bench warmup --put 10 1 --user u_warmup --warmup 5 --format tsv
expect_eq "warm-up: exit status" 0 "$STATUS"
expect_eq "warm-up: operations counted" 10 \
    "$(column operations warmup)"
expect_eq "warm-up: blobs, warm-up included" 15 "$(live_blobs u_warmup | wc -l)"

# --- duration and open loop -----------------------------------------------

bench duration --baseline 0 0 --duration 1 --format tsv
expect_eq "duration: exit status" 0 "$STATUS"
seconds=$(column seconds duration)
check "duration: ran about 1 s (got $seconds)" \
    awk -v s="$seconds" 'BEGIN { exit !(s >= 0.95 && s < 2) }'
check "duration: did some work" \
    [ "$(column operations duration)" -gt 100 ]

# 50 operations at 100/s take half a second, whatever the server's speed.
bench open --baseline 50 0 --rate 100 -c 2 --format tsv
expect_eq "open loop: exit status" 0 "$STATUS"
seconds=$(column seconds open)
check "open loop: kept the schedule (got $seconds s)" \
    awk -v s="$seconds" 'BEGIN { exit !(s >= 0.48 && s < 0.8) }'
expect_eq "open loop: mode" open "$(column mode open)"

# --- output formats ----------------------------------------------------------

bench seed --put 4 1 --user u_seed --format seed --procs 8
expect_eq "seed: exit status" 0 "$STATUS"
check "seed: the original's line ($(cat "$TEST_TMP/seed.out"))" \
    grep -qE '^8 put 4 1 [0-9]+\.[0-9]+$' "$TEST_TMP/seed.out"

bench json --get 4 1 --user u_json --format json -r 2
expect_eq "json: exit status" 0 "$STATUS"
check "json: one valid object per line, with options and host" \
    /usr/bin/python3 -c '
import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert len(lines) == 2, lines
for n, line in enumerate(lines, 1):
    r = json.loads(line)
    assert r["repeat"] == n and r["action"] == "get" and r["errors"] == 0
    assert r["options"]["user"] == "u_json" and r["host"]["cpus"] >= 1
    assert r["lat_p50_us"] <= r["lat_p99_us"] <= r["lat_max_us"]
' "$TEST_TMP/json.out"

bench summary --get 4 1 --user u_summary
expect_eq "summary: exit status" 0 "$STATUS"
check "summary: says all went well" \
    grep -q 'errors: none' "$TEST_TMP/summary.out"

stop_server "$SERVER_PID"
finish
