#!/bin/bash
# Runs every test of daxhp, in stages, and prints one closing tally.
#
#   tests/run-all.sh [STAGE...]
#
# Stages (all by default, in this order):
#   unit-plain   meson build + `meson test` (unit and integration suites)
#   unit-asan    the same under AddressSanitizer + UndefinedBehaviorSanitizer
#   valgrind     unit suites under valgrind
#   kernel       patched kernel in QEMU: in-tree selftest and the VM suite
#   e2e          patched kernel + Debian guest + daxhpd under systemd
#
# Slower stages, run only when named:
#   kernel-debug the VM suite on the KASAN + lockdep + DEBUG_VM kernel
#
# Build outputs (kernel, guest image) are cached in ${DAXHP_CACHE:-/var/cache/daxhp},
# meson build dirs under ${DAXHP_BUILD:-$DAXHP_CACHE/meson/<checkout hash>}; the clone stays clean.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cache=${DAXHP_CACHE:-/var/cache/daxhp}
# One meson build dir per checkout: a build dir belongs to one source tree.
builddir=${DAXHP_BUILD:-$cache/meson/$(printf %s "$top" | sha256sum | cut -c1-12)}
export DAXHP_CACHE=$cache

all_stages=(unit-plain unit-asan valgrind kernel e2e)
stages=("$@")
((${#stages[@]})) || stages=("${all_stages[@]}")

total_pass=0
total_fail=0
declare -A stage_result stage_time

log() { printf '==> %s\n' "$*" >&2; }

# Adds the counts of the last "N passed, N failed" line of a log to the tally.
count_from_log() {
        local line p f
        line=$(grep -E '^([A-Za-z-]+: )?[0-9]+ passed, [0-9]+ failed' "$1" | tail -n 1)
        if [[ -z $line ]]; then
                return 1
        fi
        p=$(sed -E 's/^([A-Za-z-]+: )?([0-9]+) passed.*/\2/' <<<"$line")
        f=$(sed -E 's/^([A-Za-z-]+: )?[0-9]+ passed, ([0-9]+) failed.*/\2/' <<<"$line")
        total_pass=$((total_pass + p))
        total_fail=$((total_fail + f))
}

# Counts meson's per-test results from its JSON log.
count_meson() {
        local json=$1/meson-logs/testlog${2:+-$2}.json p f s
        [[ -f $json ]] || return 1
        p=$(jq -s '[.[] | select(.result == "OK" or .result == "EXPECTEDFAIL")] | length' "$json")
        f=$(jq -s '[.[] | select(.result != "OK" and .result != "EXPECTEDFAIL" and .result != "SKIP")] | length' "$json")
        s=$(jq -s '[.[] | select(.result == "SKIP")] | length' "$json")
        # A skipped test is not a pass: count it as a failure so nothing hides.
        total_pass=$((total_pass + p))
        total_fail=$((total_fail + f + s))
}

meson_stage() {
        local dir=$1 setup=$2
        shift 2
        if [[ ! -f $dir/build.ninja ]]; then
                meson setup "$dir" "$top" "$@" >&2 || return 1
        else
                meson setup --reconfigure "$dir" "$top" "$@" >/dev/null || return 1
        fi
        ninja -C "$dir" >&2 || return 1
        local rc=0
        # shellcheck disable=SC2086 # word-split on purpose: a list of flags
        meson test -C "$dir" --print-errorlogs ${setup:+--setup "$setup"} \
                --num-processes 2 ${MESON_TEST_ARGS:-} >&2 || rc=1
        count_meson "$dir" "$setup" || rc=1
        return $rc
}

run_stage() {
        local name=$1 start rc=0 logf
        start=$(date +%s)
        logf=$cache/logs/$name.log
        mkdir -p "$cache/logs"
        log "stage $name"
        case $name in
        unit-plain)
                meson_stage "$builddir/plain" "" || rc=1 ;;
        unit-asan)
                ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
                UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
                meson_stage "$builddir/asan" "" -Db_sanitize=address,undefined -Db_lundef=false || rc=1 ;;
        valgrind)
                # The unit suites only: integration tests run Python and dbus-daemon.
                MESON_TEST_ARGS="--suite policy --suite daemon" \
                meson_stage "$builddir/plain" valgrind || rc=1 ;;
        kernel)
                "$top/tests/kernel/run.sh" 2>&1 | tee "$logf" >&2
                rc=${PIPESTATUS[0]}
                count_from_log "$logf" || rc=1 ;;
        kernel-debug)
                "$top/tests/kernel/run.sh" --variant debug 2>&1 | tee "$logf" >&2
                rc=${PIPESTATUS[0]}
                count_from_log "$logf" || rc=1 ;;
        e2e)
                "$top/tests/e2e/run.sh" 2>&1 | tee "$logf" >&2
                rc=${PIPESTATUS[0]}
                count_from_log "$logf" || rc=1 ;;
        *)
                log "unknown stage $name"; rc=1 ;;
        esac
        stage_time[$name]=$(($(date +%s) - start))
        if ((rc == 0)); then stage_result[$name]=ok; else stage_result[$name]=FAILED; fi
        return 0
}

"$top/tests/install-deps.sh" || exit 1

for s in "${stages[@]}"; do
        run_stage "$s"
done

failed=0
printf '\n%-12s %-8s %s\n' stage result seconds
for s in "${stages[@]}"; do
        printf '%-12s %-8s %s\n' "$s" "${stage_result[$s]}" "${stage_time[$s]}"
        [[ ${stage_result[$s]} == ok ]] || failed=1
done
((failed == 0 && total_fail == 0)) || failed=1
echo "$total_pass passed, $total_fail failed"
exit $failed
