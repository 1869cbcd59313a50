# shellcheck shell=bash
# Helpers for the hostile-input and fault tests; source it after lib.sh.
#
# hostile.py prints its findings as key=value words; `word` reads one back.
# The rest watch a server process from outside: its CPU time, memory,
# open connections and exit status.

HOSTILE_PY=$TOP/tests/integration/tools/hostile.py

hostile() {
    /usr/bin/python3 "$HOSTILE_PY" "$@"
}

# word KEY FILE: the value of KEY=... on the last line of FILE that has it.
word() {
    grep -o -E "(^| )$1=[^ ]*" "$2" 2>/dev/null | tail -n 1 | sed 's/^ //; s/^[^=]*=//'
}

# at_most A B, at_least A B: decimal comparisons, false when A is empty.
at_most() {
    awk -v a="$1" -v b="$2" 'BEGIN { exit !(a != "" && a + 0 <= b + 0) }'
}
at_least() {
    awk -v a="$1" -v b="$2" 'BEGIN { exit !(a != "" && a + 0 >= b + 0) }'
}

# cpu_ticks PID: the user and system time a process used, in clock ticks.
cpu_ticks() {
    awk '{ print $14 + $15 }' "/proc/$1/stat"
}

# rss_kb PID: resident memory of a process.
rss_kb() {
    awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"
}

# established PORT: connections that the server on PORT holds open (read
# from /proc, so no ss needed).
established() {
    awk -v port="$(printf '%04X' "$1")" '
        NR > 1 { split($2, local, ":"); if (local[2] == port && $4 == "01") n++ }
        END { print n + 0 }' /proc/net/tcp
}

# connections_below PORT N: the server on PORT holds fewer than N.
connections_below() {
    [ "$(established "$1")" -lt "$2" ]
}

# alive PID: running, and not a zombie waiting for us to reap it.
alive() {
    local state
    state=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)
    [ -n "$state" ] && [ "$state" != Z ]
}

# wait_until SECONDS COMMAND...: poll every 50 ms until COMMAND succeeds.
wait_until() {
    local limit=$1 tries
    shift
    tries=$(awk -v s="$limit" 'BEGIN { print int(s * 20) }')
    for _ in $(seq "$tries"); do
        "$@" && return 0
        sleep 0.05
    done
    "$@"
}

# wait_exit PID SECONDS: wait for a server we signalled; EXIT_STATUS is
# its status, or "running" if it outlived SECONDS.
wait_exit() {
    local pid=$1
    if wait_until "$2" not alive "$pid"; then
        wait "$pid" 2>/dev/null
        EXIT_STATUS=$?
    else
        EXIT_STATUS=running
    fi
}

# note TEXT...: a measurement worth reading in the test's output.
note() {
    echo "note: $*"
}

# now: seconds since the epoch, with nanoseconds.
now() {
    date +%s.%N
}

# since T: seconds elapsed since the time T (from now).
since() {
    awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }'
}
