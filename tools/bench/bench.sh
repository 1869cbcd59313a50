#!/usr/bin/env bash
# `make bench`, in three parts.
#
# 1. blobs-server against Debian's nginx-light, both one process, driven
#    by wrk in the same run with the same connections:
#
#   GET /             the empty 200 (nginx: `return 200 ""`)
#   GET 10 KiB blob   (nginx: a static file with sendfile)
#   PUT 10 KiB        to a fresh id each time (nginx: WebDAV PUT)
#
#    Each is run RUNS times, alternating servers so that noise on the
#    shared machine hits both alike; the table gives the median
#    requests/s and the ratio ours/nginx.
#
# 2. blobs-bench against wrk as the client, same servers, same
#    connections, one thread each, alternating: GET / and GET 10 KiB on
#    both servers; median requests/s, the ratio ours/wrk, and each
#    client's CPU time per request (user + system, from /usr/bin/time).
#
# 3. The server's memory: RSS with 1000 idle keep-alive connections, and
#    peak RSS through a 1 MiB and a 1 GiB PUT and GET (it should not grow
#    with the size).
#
#   RUNS=3 DURATION=5 CONNECTIONS=50 tools/bench/bench.sh
#
# Everything runs on 127.0.0.1 and is stopped by PID on exit.
set -u

TOP=$(cd "$(dirname "$0")/../.." && pwd)
RUNS=${RUNS:-3}
DURATION=${DURATION:-5}
CONNECTIONS=${CONNECTIONS:-50}
IDLE_CONNECTIONS=${IDLE_CONNECTIONS:-1000}
BIG_MIB=${BIG_MIB:-1024}

tmp=$(mktemp -d /tmp/blobs-bench.XXXXXX)
pids=()

cleanup() {
    local pid
    for pid in "${pids[@]}"; do
        kill -TERM "$pid" 2>/dev/null
    done
    for pid in "${pids[@]}"; do
        wait "$pid" 2>/dev/null
    done
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

die() {
    echo "bench: $*" >&2
    exit 1
}

free_port() {
    /usr/bin/python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

wait_port() {
    for _ in $(seq 100); do
        (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0
        sleep 0.05
    done
    tail -n 5 "$tmp"/*.log >&2
    die "nothing listens on port $1"
}

command -v wrk >/dev/null || die "wrk is missing (tools/install-deps.sh bench)"
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] ||
    die "nginx is missing (tools/install-deps.sh bench)"
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

# The two servers.
ours_port=$(free_port)
mkdir -p "$tmp/ours"
"$TOP/blobs-server" --quota 1T --max-body 2G --idle-timeout 120 \
    "$tmp/ours" "$ours_port" 2>"$tmp/ours.log" &
ours_pid=$!
pids+=("$ours_pid")

nginx_port=$(free_port)
mkdir -p "$tmp/nginx-root/blobs/bench" "$tmp/nginx-body"
sed -e "s|@PORT@|$nginx_port|" -e "s|@ROOT@|$tmp/nginx-root|" \
    -e "s|@TMP@|$tmp|g" "$TOP/tools/bench/nginx.conf.in" >"$tmp/nginx.conf"
"$NGINX" -c "$tmp/nginx.conf" -p "$tmp" 2>"$tmp/nginx.log" &
pids+=($!)

wait_port "$ours_port"
wait_port "$nginx_port"

# The 10 KiB blob, on both.
head -c 10240 /dev/urandom >"$tmp/blob10k"
status=$(curl -s -o /dev/null -w '%{http_code}' -T "$tmp/blob10k" \
         "http://127.0.0.1:$ours_port/blobs/bench/get10k")
[ "$status" = 200 ] || die "could not store the 10 KiB blob (status $status)"
cp "$tmp/blob10k" "$tmp/nginx-root/blobs/bench/get10k"
for port in "$ours_port" "$nginx_port"; do
    curl -s "http://127.0.0.1:$port/blobs/bench/get10k" | cmp -s - "$tmp/blob10k" ||
        die "the 10 KiB blob does not come back from port $port"
done

# run_wrk PORT PATH [LUA]: print requests/s, or fail on any error.
run_wrk() {
    local port=$1 path=$2 script=${3:-}
    local args=(-t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency)
    [ -n "$script" ] && args+=(-s "$script")
    # PUTs go to a fresh folder (nginx) or user (ours) per run.
    RUN_TAG=$(printf '%08x' "$RANDOM$RANDOM") \
        PUT_PREFIX="/blobs/put$RANDOM$RANDOM/" \
        wrk "${args[@]}" "http://127.0.0.1:$port$path" >"$tmp/wrk.out" 2>&1
    if grep -q -E 'Non-2xx|Socket errors' "$tmp/wrk.out"; then
        echo "bench: wrk saw errors on port $port $path:" >&2
        cat "$tmp/wrk.out" >&2
        return 1
    fi
    awk '/^Requests\/sec:/ {print $2}' "$tmp/wrk.out"
}

median() {
    sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'
}

echo "blobs-server against nginx-light as the server, one process each, wrk -t1 -c$CONNECTIONS," \
     "${DURATION}s per run, median of $RUNS runs"
echo "machine: $(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"
echo
printf '%-18s %14s %14s %8s\n' test "ours req/s" "nginx req/s" ratio

failed=0
for test in "GET /" "GET 10 KiB" "PUT 10 KiB"; do
    case "$test" in
    "GET /") path=/ script= ;;
    "GET 10 KiB") path=/blobs/bench/get10k script= ;;
    "PUT 10 KiB") path=/ script=$TOP/tools/bench/put.lua ;;
    esac
    : >"$tmp/ours.rps"
    : >"$tmp/nginx.rps"
    for run in $(seq "$RUNS"); do
        # Who goes first alternates too: the file system remembers the
        # files the previous run made and removed.
        if [ $((run % 2)) = 1 ]; then
            run_wrk "$ours_port" "$path" "$script" >>"$tmp/ours.rps" || failed=1
            run_wrk "$nginx_port" "$path" "$script" >>"$tmp/nginx.rps" || failed=1
        else
            run_wrk "$nginx_port" "$path" "$script" >>"$tmp/nginx.rps" || failed=1
            run_wrk "$ours_port" "$path" "$script" >>"$tmp/ours.rps" || failed=1
        fi
        # Fresh folders for the next PUT run, on both sides alike.
        # nginx may still be finishing the last PUTs wrk gave up on.
        sleep 0.5
        rm -rf "$tmp/nginx-root/blobs/put"* "$tmp/ours/put"* \
            "$tmp/ours/.quota/put"* 2>/dev/null
    done
    ours=$(median <"$tmp/ours.rps")
    theirs=$(median <"$tmp/nginx.rps")
    printf '%-18s %14.0f %14.0f %8.2f\n' "$test" "$ours" "$theirs" \
        "$(echo "$ours $theirs" | awk '{print $1 / $2}')"
    echo "  runs: ours $(tr '\n' ' ' <"$tmp/ours.rps")| nginx $(tr '\n' ' ' <"$tmp/nginx.rps")"
done

# Part 2: the clients. client_run CLIENT PORT PATH LENGTH prints
# "requests/s cpu-us-per-request", or fails on any error.
client_run() {
    local client=$1 port=$2 path=$3 length=$4 rps requests cpu
    if [ "$client" = wrk ]; then
        /usr/bin/time -f 'cpu %U %S' -o "$tmp/time" \
            wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" \
            "http://127.0.0.1:$port$path" >"$tmp/client.out" 2>&1
        if grep -q -E 'Non-2xx|Socket errors' "$tmp/client.out"; then
            cat "$tmp/client.out" >&2
            return 1
        fi
        rps=$(awk '/^Requests\/sec:/ {print $2}' "$tmp/client.out")
        requests=$(awk '/requests in/ {print $1}' "$tmp/client.out")
    else
        /usr/bin/time -f 'cpu %U %S' -o "$tmp/time" \
            "$TOP/blobs-bench" --baseline 0 0 --duration "$DURATION" \
            --connections "$CONNECTIONS" --threads 1 \
            --url "http://127.0.0.1:$port" --path "$path" \
            --expect-length "$length" --format tsv >"$tmp/client.out" 2>&1 ||
            { cat "$tmp/client.out" >&2; return 1; }
        rps=$(awk -F'\t' 'NR == 2 {print $12}' "$tmp/client.out")
        requests=$(awk -F'\t' 'NR == 2 {print $10}' "$tmp/client.out")
    fi
    cpu=$(awk '/^cpu/ {print $2 + $3}' "$tmp/time")
    echo "$rps $(awk -v c="$cpu" -v n="$requests" 'BEGIN {print c * 1e6 / n}')"
}

echo
echo "blobs-bench against wrk as the client, -c$CONNECTIONS, one thread each," \
     "${DURATION}s per run, median of $RUNS runs"
echo
printf '%-24s %12s %12s %7s %14s %14s\n' test "ours req/s" "wrk req/s" \
    ratio "ours CPU us/req" "wrk CPU us/req"
for server in ours nginx; do
    port=$ours_port
    [ "$server" = nginx ] && port=$nginx_port
    for target in "/:0" "/blobs/bench/get10k:10240"; do
        path=${target%:*}
        length=${target#*:}
        : >"$tmp/ours.client"
        : >"$tmp/wrk.client"
        for _ in $(seq "$RUNS"); do
            client_run blobs-bench "$port" "$path" "$length" \
                >>"$tmp/ours.client" || failed=1
            client_run wrk "$port" "$path" "$length" >>"$tmp/wrk.client" ||
                failed=1
        done
        ours=$(cut -d' ' -f1 "$tmp/ours.client" | median)
        theirs=$(cut -d' ' -f1 "$tmp/wrk.client" | median)
        label="$server GET $([ "$length" = 0 ] && echo / || echo '10 KiB')"
        printf '%-24s %12.0f %12.0f %7.2f %14.2f %14.2f\n' "$label" \
            "$ours" "$theirs" \
            "$(echo "$ours $theirs" | awk '{print $1 / $2}')" \
            "$(cut -d' ' -f2 "$tmp/ours.client" | median)" \
            "$(cut -d' ' -f2 "$tmp/wrk.client" | median)"
    done
done

# Part 3: memory.
status_kib() {
    awk -v key="$2:" '$1 == key {print $2}' "/proc/$1/status"
}

echo
echo "blobs-server memory (pid $ours_pid):"
# Peak RSS (VmHWM) after each step: the kernel's RSS figure of the moment
# lags behind by a few pages, so peaks are the ones that compare.
printf '  %-48s %8s KiB\n' "peak RSS so far" "$(status_kib "$ours_pid" VmHWM)"

coproc IDLE { /usr/bin/python3 "$TOP/tools/bench/idle_conns.py" "$ours_port" "$IDLE_CONNECTIONS"; }
read -r ready count <&"${IDLE[0]}"
if [ "${ready:-}" = ready ]; then
    printf '  %-48s %8s KiB\n' \
        "peak RSS with $count idle keep-alive connections" \
        "$(status_kib "$ours_pid" VmHWM)"
else
    echo "  could not open $IDLE_CONNECTIONS idle connections" >&2
    failed=1
fi
exec {IDLE[1]}>&-
wait "$IDLE_PID" 2>/dev/null

# Peak RSS through a small and a big PUT and GET of the same kind.
for mib in 1 "$BIG_MIB"; do
    truncate -s "${mib}M" "$tmp/big"
    status=$(curl -s -o /dev/null -w '%{http_code}' -T "$tmp/big" \
             "http://127.0.0.1:$ours_port/blobs/big/b$mib")
    [ "$status" = 200 ] || { echo "  PUT of $mib MiB: status $status" >&2; failed=1; }
    got=$(curl -s -o /dev/null -w '%{size_download}' \
          "http://127.0.0.1:$ours_port/blobs/big/b$mib")
    [ "$got" = $((mib * 1024 * 1024)) ] ||
        { echo "  GET of $mib MiB: $got bytes" >&2; failed=1; }
    printf '  %-48s %8s KiB\n' "peak RSS after PUT and GET of $mib MiB" \
        "$(status_kib "$ours_pid" VmHWM)"
    rm -f "$tmp/big"
done

exit "$failed"
