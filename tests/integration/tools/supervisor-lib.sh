# Helpers for the tests that run ./supervisor: start it, wait for its
# ready line or its exit, and check that processes are gone. Source it
# after lib.sh; SUPERVISOR names the binary.

SUPERVISOR=${SUPERVISOR:-$BIN_DIR/supervisor}

# start_supervisor NAME ARGS...: in the background, stdout in NAME.out,
# stderr in NAME.log; its PID in SUPERVISOR_PID.
start_supervisor() {
    local name=$1
    shift
    "$SUPERVISOR" "$@" >"$TEST_TMP/$name.out" 2>"$TEST_TMP/$name.log" &
    SUPERVISOR_PID=$!
    STARTED_PIDS+=("$SUPERVISOR_PID")
}

# wait_ready NAME: until the ready line is out (15 s at most); fails if
# the supervisor exits first.
wait_ready() {
    for _ in $(seq 300); do
        grep -q '^ready: ' "$TEST_TMP/$1.out" && return 0
        kill -0 "$SUPERVISOR_PID" 2>/dev/null || return 1
        sleep 0.05
    done
    return 1
}

# wait_exit PID SECONDS: its exit status in STATUS, or "still running".
wait_exit() {
    local pid=$1 tenths=$(($2 * 10))
    for _ in $(seq "$tenths"); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        STATUS="still running"
        return
    fi
    wait "$pid"
    STATUS=$?
}

# running PID: alive and not a zombie waiting for its parent's wait.
running() {
    local state
    state=$(awk '/^State:/ { print $2 }' "/proc/$1/status" 2>/dev/null)
    [ -n "$state" ] && [ "$state" != Z ]
}

# all_gone PID...: none of them runs within 3 s.
all_gone() {
    local pid alive
    for _ in $(seq 60); do
        alive=0
        for pid; do
            running "$pid" && alive=1
        done
        [ "$alive" -eq 0 ] && return 0
        sleep 0.05
    done
    return 1
}

ready_pids() {
    awk '$1 == "server" || $1 == "haproxy" { print $3 }' "$1"
}

# free_port_range N: the first of N consecutive ports nothing listens on,
# taken below the kernel's ephemeral range so that no client socket lands
# there meanwhile.
free_port_range() {
    /usr/bin/python3 - "$1" <<'EOF'
import random, socket, sys
count = int(sys.argv[1])
for _ in range(200):
    base = random.randrange(20000, 32000 - count)
    sockets = []
    try:
        for port in range(base, base + count):
            s = socket.socket()
            sockets.append(s)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("127.0.0.1", port))
    except OSError:
        continue
    finally:
        for s in sockets:
            s.close()
    print(base)
    sys.exit(0)
sys.exit(1)
EOF
}
