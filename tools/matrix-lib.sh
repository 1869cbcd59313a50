# shellcheck shell=bash
# Functions of the multiprocessing matrix (tools/test-matrix.sh), kept apart
# so that the tests can check them one by one. Source it; it sets nothing
# and starts nothing by itself.
#
#   matrix_machine_name DIR   <cpu model>_<RAM>_<disk> of this machine, the
#                             disk being the one that holds DIR
#   matrix_cpu_ns PID...      CPU time used so far by the PIDs and all
#                             their descendants, in nanoseconds
#   matrix_aggregate FILE     one results row from blobs-bench's tsv rows
#   matrix_alive PID          whether PID runs (a zombie does not)
#   matrix_start_time PID     the kernel's start time of PID, to tell it
#                             from a later process that got the same PID

# A client above this share of its cores is the bottleneck of its run.
MATRIX_CLIENT_BOUND_SHARE=0.8

# The CPU model as the original study spelled it in its file names:
# "Intel(R) Core(TM) i7-4600U CPU @ 2.10GHz" -> Intel-Core-i7-4600U@2.10GHz.
matrix_cpu_model() {
    local model
    model=$(sed -n 's/^model name[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo |
            head -n 1)
    if [ -z "$model" ]; then
        # Some architectures name no model in /proc/cpuinfo.
        model=$(uname -m)
    fi
    printf '%s\n' "$model" |
        sed -e 's/([Rr])//g' -e 's/([Tt][Mm])//g' -e 's/\bCPU\b//g' \
            -e 's/[[:space:]]*@[[:space:]]*/@/g' -e 's/^[[:space:]]*//' \
            -e 's/[[:space:]]*$//' -e 's/[[:space:]]\+/-/g' \
            -e 's/[^A-Za-z0-9@._+-]/-/g'
}

# MemTotal rounded to whole GiB, named as the original did: 8GB-RAM.
matrix_ram() {
    awk '/^MemTotal:/ { printf "%dGB-RAM\n", int($2 / 1048576 + 0.5) }' \
        /proc/meminfo
}

# The model of the block device that holds DIR (its name when the device
# states no model, as virtio disks do; the file system's type when DIR is
# on no block device at all, e.g. tmpfs or overlay).
matrix_disk() {
    local dir=$1 source name sys model
    source=$(df -P "$dir" 2>/dev/null | awk 'NR == 2 { print $1 }')
    case "$source" in
    /dev/*)
        name=$(basename "$(readlink -f "$source")")
        sys=$(readlink -f "/sys/class/block/$name" 2>/dev/null)
        # A partition's device is the folder above it in sysfs.
        if [ -n "$sys" ] && [ -e "$sys/partition" ]; then
            name=$(basename "$(dirname "$sys")")
        fi
        model=""
        if [ -r "/sys/block/$name/device/model" ]; then
            model=$(tr -s ' \t' '  ' <"/sys/block/$name/device/model")
        fi
        ;;
    *)
        name=$(df -P --output=fstype "$dir" 2>/dev/null | tail -n 1)
        model=""
        ;;
    esac
    model=$(printf '%s' "$model" | sed -e 's/^ *//' -e 's/ *$//')
    printf '%s\n' "${model:-${name:-unknown-disk}}" |
        sed -e 's/[[:space:]]\+/-/g' -e 's/[^A-Za-z0-9@._+-]/-/g'
}

matrix_machine_name() {
    printf '%s_%s_%s\n' "$(matrix_cpu_model)" "$(matrix_ram)" \
        "$(matrix_disk "$1")"
}

# A process runs when /proc knows it and it is no zombie: a child of ours
# that has exited stays a zombie until we wait for it.
matrix_alive() {
    local stat rest
    read -r stat 2>/dev/null <"/proc/$1/stat" || return 1
    rest=${stat##*) }
    [ "${rest%% *}" != Z ]
}

# Field 22 of /proc/PID/stat, counted after the command name, which may
# hold spaces and parentheses of its own.
matrix_start_time() {
    local stat fields
    read -r stat 2>/dev/null <"/proc/$1/stat" || return 1
    read -r -a fields <<<"${stat##*) }"
    printf '%s\n' "${fields[19]}"
}

# Every descendant of the given PIDs. /proc/PID/task/*/children needs a
# kernel option that is not always on, so walk the parent links instead.
matrix_descendants() {
    local -A parent_of=()
    local file stat pid fields
    for file in /proc/[0-9]*/stat; do
        read -r stat 2>/dev/null <"$file" || continue
        pid=${stat%% *}
        read -r -a fields <<<"${stat##*) }"
        parent_of[$pid]=${fields[1]}
    done

    local -a queue=("$@") found=()
    local current child
    while [ "${#queue[@]}" -gt 0 ]; do
        current=${queue[0]}
        queue=("${queue[@]:1}")
        for child in "${!parent_of[@]}"; do
            if [ "${parent_of[$child]}" = "$current" ]; then
                found+=("$child")
                queue+=("$child")
            fi
        done
    done
    printf '%s\n' "${found[@]}"
}

# CPU time of the PIDs and their descendants, in nanoseconds. Each
# thread's schedstat counts its time on a CPU to the nanosecond, where
# utime and stime in /proc/PID/stat count whole clock ticks (10 ms): too
# coarse for runs of a few hundred milliseconds. A thread that ended
# before the reading is not counted; haproxy and the servers keep theirs.
matrix_cpu_ns() {
    local total=0 pid task ns fields stat ticks_per_second
    ticks_per_second=$(getconf CLK_TCK)
    for pid in "$@" $(matrix_descendants "$@"); do
        if [ -r "/proc/$pid/schedstat" ]; then
            for task in /proc/"$pid"/task/*/schedstat; do
                read -r ns _ <"$task" 2>/dev/null || continue
                total=$((total + ns))
            done
        elif read -r stat 2>/dev/null <"/proc/$pid/stat"; then
            read -r -a fields <<<"${stat##*) }"
            total=$((total + (fields[11] + fields[12]) * 1000000000 /
                     ticks_per_second))
        fi
    done
    printf '%s\n' "$total"
}

# The rows blobs-bench printed for one step (its header, then one row per
# repeat) reduced to the results columns that come from the client:
#
#   repeats mean_s stdev_s min_s max_s ops_per_s ops_per_s_stdev
#   lat_p50_us lat_p99_us errors client_cpu_s wall_s client_bound
#
# Columns are found by name in the header, so that the bench may add
# columns. The standard deviations are the sample's (n - 1), 0 for one
# run; the latency percentiles are the means of the runs' percentiles (the
# runs' histograms are not in the rows, so no exact percentile of all the
# requests can be had); CPU and wall seconds are sums, so that their
# ratio is the cores used. client_bound is 1 when the client used more
# than MATRIX_CLIENT_BOUND_SHARE of the cores its threads could use.
matrix_aggregate() {
    awk -F '\t' -v share="$MATRIX_CLIENT_BOUND_SHARE" '
    function need(name) {
        if (!(name in col)) {
            printf "matrix: bench output has no column %s\n", name \
                >"/dev/stderr"
            bad = 1
            exit 1
        }
        return col[name]
    }
    NR == 1 {
        for (i = 1; i <= NF; i++)
            col[$i] = i
        c_seconds = need("seconds"); c_ops = need("ops_per_s")
        c_p50 = need("lat_p50_us"); c_p99 = need("lat_p99_us")
        c_errors = need("errors"); c_user = need("cpu_user_s")
        c_sys = need("cpu_sys_s"); c_threads = need("threads")
        next
    }
    $0 == "" { next }
    {
        n++
        s = $c_seconds + 0
        sum_s += s; sum_s2 += s * s
        if (n == 1 || s < min_s) min_s = s
        if (n == 1 || s > max_s) max_s = s
        ops = $c_ops + 0
        sum_ops += ops; sum_ops2 += ops * ops
        p50 += $c_p50; p99 += $c_p99
        errors += $c_errors
        cpu += $c_user + $c_sys
        threads = $c_threads + 0
    }
    function sample_stdev(sum, sum2, count,    v) {
        if (count < 2)
            return 0
        v = (sum2 - sum * sum / count) / (count - 1)
        return v > 0 ? sqrt(v) : 0
    }
    END {
        if (bad)
            exit 1
        if (n == 0) {
            print "matrix: bench printed no result row" >"/dev/stderr"
            exit 1
        }
        if (threads < 1)
            threads = 1
        bound = (sum_s > 0 && cpu / sum_s > share * threads) ? 1 : 0
        printf "%d\t%.6f\t%.6f\t%.6f\t%.6f\t", n, sum_s / n,
            sample_stdev(sum_s, sum_s2, n), min_s, max_s
        printf "%.1f\t%.1f\t%.0f\t%.0f\t%d\t", sum_ops / n,
            sample_stdev(sum_ops, sum_ops2, n), p50 / n, p99 / n, errors
        printf "%.6f\t%.6f\t%d\n", cpu, sum_s, bound
    }' "$1"
}
