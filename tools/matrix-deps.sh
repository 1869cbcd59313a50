#!/usr/bin/env bash
# Make sure this machine has what the multiprocessing matrix needs: a C
# compiler and make for the binaries, haproxy for the haproxy front and
# Debian's python3 with matplotlib for the figures. What is missing is
# installed with apt-get when we are root on Debian; otherwise the script
# names the packages to install and fails.
#
#   tools/matrix-deps.sh [--check] [haproxy] [plot]
#
# "haproxy" and "plot" ask for the parts only some runs need; --check only
# tells what is missing, installing nothing.
set -u

need_haproxy=0
need_plot=0
check_only=0
for part in "$@"; do
    case "$part" in
    haproxy) need_haproxy=1 ;;
    plot) need_plot=1 ;;
    --check) check_only=1 ;;
    *)
        echo "matrix-deps: unknown part '$part' (haproxy, plot)" >&2
        exit 2
        ;;
    esac
done

# Debian package for each missing piece, in install order.
missing=()
command -v make >/dev/null || missing+=(make)
command -v cc >/dev/null || missing+=(gcc libc6-dev)
command -v getconf >/dev/null || missing+=(libc-bin)
if [ "$need_haproxy" = 1 ] && ! command -v haproxy >/dev/null &&
    [ ! -x /usr/sbin/haproxy ]; then
    missing+=(haproxy)
fi
# The figures need Debian's own interpreter: the first python3 on PATH
# may be another one without matplotlib.
if [ "$need_plot" = 1 ] &&
    ! /usr/bin/python3 -c 'import matplotlib' 2>/dev/null; then
    missing+=(python3-matplotlib)
fi

if [ "${#missing[@]}" -eq 0 ]; then
    exit 0
fi

echo "matrix-deps: missing: ${missing[*]}" >&2
if [ "$check_only" = 1 ] || [ "$(id -u)" != 0 ] ||
    ! command -v apt-get >/dev/null; then
    echo "matrix-deps: install them (Debian: apt-get install" \
        "${missing[*]}) and run again" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
if ! apt-get update -q || ! apt-get install -y -q --no-install-recommends \
    "${missing[@]}"; then
    echo "matrix-deps: apt-get could not install ${missing[*]}" >&2
    exit 1
fi
