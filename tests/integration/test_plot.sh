#!/usr/bin/env bash
# The plotter, tools/plot.py, on the original study's five-column results
# (tests/data/2017-*.txt) and on a hand-written .tsv with three fronts and
# missing combinations (tests/data/plot-three-fronts-missing.tsv): it
# draws every figure it should and no other, each a valid PNG with no
# text cut off or lying on another (--check-layout), it reads the newest
# results file by default, its numbers are the original's, and bad input
# is refused with a message that names the line.
# uses no binary (so it runs once, not again against the sanitized ones)
source "$(dirname "$0")/lib.sh"

DATA="$TOP/tests/data"
SEED_MACHINE="Intel-Core-i7-4600U@2.10GHz_8GB-RAM"
SEED_MACHINE+="_SATA-II-SSD-LITEONIT-LGT-256M6G"
SEED_OLD="2017-01-04_$SEED_MACHINE"
SEED_NEW="2017-01-05_$SEED_MACHINE"
HAND="plot-three-fronts-missing"

plot() {
    /usr/bin/python3 "$TOP/tools/plot.py" "$@"
}

is_png() {
    [ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ]
}

# check_figures DIR NAME...: DIR holds exactly these PNGs, each valid.
check_figures() {
    local dir=$1 name
    shift
    expect_eq "figures in $dir" "$(printf '%s.png\n' "$@" | sort)" \
        "$(cd "$dir" && ls | sort)"
    for name in "$@"; do
        check "$name.png is a PNG" is_png "$dir/$name.png"
    done
}

# --- the original's five-column files, the newest chosen by default ---
mkdir -p "$TEST_TMP/results" "$TEST_TMP/plots"
cp "$DATA/$SEED_OLD.txt" "$DATA/$SEED_NEW.txt" "$TEST_TMP/results/"
touch -d '2017-01-04 12:00' "$TEST_TMP/results/$SEED_OLD.txt"
touch -d '2017-01-05 12:00' "$TEST_TMP/results/$SEED_NEW.txt"
check "plot draws the seed file" plot --results-dir "$TEST_TMP/results" \
    --out-dir "$TEST_TMP/plots" --check-layout
# No latency or CPU in five columns: the one figure only.
check_figures "$TEST_TMP/plots" "$SEED_NEW"

touch -d '2017-01-06 12:00' "$TEST_TMP/results/$SEED_OLD.txt"
rm -f "$TEST_TMP/plots"/*
check "plot draws the other seed file once it is newer" \
    plot --results-dir "$TEST_TMP/results" --out-dir "$TEST_TMP/plots"
check_figures "$TEST_TMP/plots" "$SEED_OLD"

# The heights are the original's: amount / mean seconds, here
# 1000 / 1.65788397789 and 1000 / 3.292395401.
summary=$(plot --summary "$DATA/$SEED_NEW.txt")
expect_eq "seed: 1 process, baseline" "603.2" \
    "$(awk -F '\t' '$2 == 1 && $3 == "baseline" { print $6 }' <<<"$summary")"
expect_eq "seed: 8 processes, delete" "303.7" \
    "$(awk -F '\t' '$2 == 8 && $3 == "delete" { print $6 }' <<<"$summary")"
expect_eq "seed: 24 results" 24 "$(tail -n +2 <<<"$summary" | wc -l)"

# --- a .tsv by hand: three fronts, direct at 1 process only, holes ---
mkdir -p "$TEST_TMP/hand"
check "plot draws the hand-written tsv" plot "$DATA/$HAND.tsv" \
    --out-dir "$TEST_TMP/hand" --check-layout
check_figures "$TEST_TMP/hand" "$HAND" "$HAND-latency" "$HAND-cpu" \
    "$HAND-reuseport" "$HAND-reuseport-latency" "$HAND-reuseport-cpu" \
    "$HAND-direct" "$HAND-direct-latency" "$HAND-direct-cpu" "$HAND-fronts"

summary=$(plot --summary "$DATA/$HAND.tsv")
expect_eq "hand: 23 results" 23 "$(tail -n +2 <<<"$summary" | wc -l)"
# 1000 / 0.04: the height; 1000 / 0.044 and 1000 / 0.037: the whiskers.
expect_eq "hand: haproxy, 2 processes, baseline" \
    "25000.0 22727.3 27027.0 1" \
    "$(awk -F '\t' '$1 == "haproxy" && $2 == 2 && $3 == "baseline" {
        print $6, $7, $8, $9 }' <<<"$summary")"
expect_eq "hand: a missing combination stays missing" "" \
    "$(awk -F '\t' '$1 == "haproxy" && $2 == 2 && $3 == "get"' \
        <<<"$summary")"

# A .txt with a .tsv beside it: the .tsv is read, with all its fronts.
mkdir -p "$TEST_TMP/pair" "$TEST_TMP/pair-plots"
cp "$DATA/$HAND.tsv" "$TEST_TMP/pair/pair.tsv"
awk -F '\t' 'NR > 1 && $1 == "haproxy" { print $2, $3, $4, $5, $8 }' \
    "$DATA/$HAND.tsv" >"$TEST_TMP/pair/pair.txt"
check "plot reads the .tsv beside a .txt" \
    plot "$TEST_TMP/pair/pair.txt" --out-dir "$TEST_TMP/pair-plots"
check "the fronts figure comes from the .tsv" \
    is_png "$TEST_TMP/pair-plots/pair-fronts.png"

# --- bad input: refused, the message naming the file and line ---
printf '1 baseline 1000 10 1.5\n2 baseline 1000 1.6\n' >"$TEST_TMP/bad.txt"
output=$(plot "$TEST_TMP/bad.txt" --out-dir "$TEST_TMP/bad" 2>&1)
check "a four-column line fails" [ $? -eq 1 ]
check "the message names line 2 ($output)" \
    grep -q 'bad.txt:2: expected 5 columns' <<<"$output"

printf 'front\tprocs\taction\tamount\tsize_kib\n' >"$TEST_TMP/bad.tsv"
output=$(plot "$TEST_TMP/bad.tsv" --out-dir "$TEST_TMP/bad" 2>&1)
check "a tsv without mean_s fails" [ $? -eq 1 ]
check "the message names the column ($output)" \
    grep -q 'lacks the column(s) mean_s' <<<"$output"

mkdir -p "$TEST_TMP/empty"
output=$(plot --results-dir "$TEST_TMP/empty" --out-dir "$TEST_TMP/bad" 2>&1)
check "an empty results folder fails" [ $? -eq 1 ]
check "the message says so ($output)" grep -q 'no results file' <<<"$output"
nothing_in() {
    [ ! -e "$1" ] || [ -z "$(ls -A "$1")" ]
}
check "nothing drawn from bad input" nothing_in "$TEST_TMP/bad"

finish
