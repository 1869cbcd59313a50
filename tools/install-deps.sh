#!/usr/bin/env bash
# Install the Debian packages a task needs, only those missing.
#
#   tools/install-deps.sh test|bench|matrix...
#
#   test    build and run `make test` (compiler, cmocka, curl, ab,
#           haproxy, matplotlib for the plot tests, clang for the fuzzer)
#   bench   `make bench`: also nginx-light, wrk and time
#   matrix  `make test-matrix`: compiler, haproxy, matplotlib
#
# Needs root and apt-get to install; otherwise it names what is missing
# and fails. Services that packages would start (nginx) are kept from
# starting: tests run their own, in the foreground.
set -u

packages=()
for task in "$@"; do
    case "$task" in
    test) packages+=(make gcc libc6-dev libcmocka-dev curl apache2-utils
                     haproxy python3 python3-matplotlib clang) ;;
    bench) packages+=(make gcc libc6-dev nginx-light wrk curl time) ;;
    matrix) packages+=(make gcc libc6-dev haproxy python3
                       python3-matplotlib) ;;
    *) echo "install-deps: unknown task '$task' (test, bench, matrix)" >&2
       exit 2 ;;
    esac
done

missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null |
        grep -q 'install ok installed' || missing+=("$package")
done
[ "${#missing[@]}" -eq 0 ] && exit 0

# Each package once, in order.
mapfile -t missing < <(printf '%s\n' "${missing[@]}" | awk '!seen[$0]++')
echo "install-deps: installing ${missing[*]}" >&2
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    echo "install-deps: run as root, or install: ${missing[*]}" >&2
    exit 1
fi

# policy-rc.d exit 101 tells Debian's maintainer scripts not to start
# services; remove it again only if we made it.
made_policy=0
if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    made_policy=1
fi

export DEBIAN_FRONTEND=noninteractive
status=0
apt-get update -qq && apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null || status=1
[ "$made_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d

if [ "$status" != 0 ]; then
    echo "install-deps: apt-get failed for ${missing[*]}" >&2
fi
exit "$status"
