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
#   e2e-cxl      the same on CXL memory: QEMU 10 (bookworm-backports, unpacked
#                privately by tests/e2e-cxl/qemu10.sh), q35 with two CXL
#                expanders, regions by tools/daxhp-cxl-region (tests/e2e-cxl/README.md)
#   e2e-safety   issue 13 in the systemd guest with daxhpd enabled at boot:
#                memhp_default_state=online/online_kernel boots (pmem/hmem and
#                a CXL region made during boot), daxhpctl check, the refusals
#                (InsufficientMemmap on a small-RAM boot) (tests/e2e/run-safety.sh)
#
# Slower stages, run only when named:
#   kernel-debug the VM suite on the KASAN + lockdep + DEBUG_VM kernel
#   e2e-mainline the e2e scenario (steps 1-8) on mainline Linux 7.3 and its
#                `state` attribute: fetches linux-source-7.3 (experimental,
#                private apt config) and builds it once (tests/e2e/MAINLINE-7.3.md)
#   e2e-cxl-mainline  the e2e-cxl scenario on the same 7.3 kernel (its config
#                has the CXL stack too); e2e-cxl-pristine: on stock 7.2.13
#                (daxhpd's per-block fallback)
#
# Build outputs (kernel, guest image) are cached in ${DAXHP_CACHE:-/var/cache/daxhp},
# meson build dirs under ${DAXHP_BUILD:-$DAXHP_CACHE/meson/<checkout hash>}; the clone stays clean.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cache=${DAXHP_CACHE:-/var/cache/daxhp}
# One meson build dir per checkout: a build dir belongs to one source tree.
builddir=${DAXHP_BUILD:-$cache/meson/$(printf %s "$top" | sha256sum | cut -c1-12)}
export DAXHP_CACHE=$cache

all_stages=(unit-plain unit-asan valgrind kernel e2e e2e-cxl e2e-safety)
stages=("$@")
((${#stages[@]})) || stages=("${all_stages[@]}")

# Integration cases the valgrind stage runs with daxhpd under memcheck: every
# path of the daemon (policy, bus, queue, retries, drift, timeouts, restart,
# driver binding, removal, per-block fallback) but no kill -9 (memcheck cannot
# report on a killed process), and not the 50-request stress case (70 s under
# memcheck); about 2.5 min in all.
valgrind_integration=(
        test_devices_appear_with_properties
        test_policy_applied_on_arrival
        test_mainline_state_attribute
        test_stock_kernel_per_block_fallback
        test_arrival_waits_for_the_kernel_probe
        test_devdax_device_bound_to_kmem_by_policy
        test_system_ram_device_back_to_devdax_by_policy
        test_named_errors
        test_ebusy_set_state_error
        test_step_timeout_cancels_and_kernel_rolls_back
        test_reload_with_broken_file_keeps_valid_policy
        test_newer_request_supersedes_queued_one
        test_override_survives_restart_and_stop_leaves_memory
        test_device_removed_while_queued
        test_retries_after_ebusy
        test_drift_is_reapplied
        test_monitor_prints_changes
        test_stop_cancels_queued_callers
        test_per_block_timeout_rolls_back
        test_device_removed_mid_write_is_no_such_device
        test_override_not_applied_to_new_device_of_same_name
        test_hostile_arguments_get_typed_errors
        test_per_block_stop_rolls_back
        test_reset_drops_queued_job_and_reload_keeps_running_one
        test_transition_record_times_arrival
        test_competing_agents_reported
        test_polkit_decides_for_non_root
        test_polkit_failure_challenge_and_interactive_flag
        test_stop_while_polkit_thinks_cancels_caller
        test_memmap_budget_refuses_online
        test_unplug_refused_when_memory_in_use
        test_check_lists_hazards
        test_metrics_follow_transitions
        test_nfd_features_follow_state
)

total_pass=0
total_fail=0
declare -A stage_result stage_time

log() { printf '==> %s\n' "$*" >&2; }

# Adds the counts of the last "N passed, N failed" line of a log to the tally.
count_from_log() {
        local line p f
        line=$(grep -a -E '^([A-Za-z-]+: )?[0-9]+ passed, [0-9]+ failed' "$1" | tail -n 1)
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

# A runner that prints TAP lines and closes with "N passed, N failed": its
# output to the terminal and to logf, its tally into the totals.
tap_stage() {
        local logf=$1 rc
        shift
        "$@" 2>&1 | tee "$logf" >&2
        rc=${PIPESTATUS[0]}
        count_from_log "$logf" || rc=1
        return "$rc"
}

run_stage() {
        local name=$1 start rc=0 logf
        start=$(date +%s)
        # Per checkout, like the build dirs: two checkouts running the same
        # stage at once must not write (and count) one log.
        logf=$builddir/logs/$name.log
        mkdir -p "$builddir/logs"
        log "stage $name"
        export DAXHP_VM_LOGS=$builddir/logs
        case $name in
        unit-plain)
                meson_stage "$builddir/plain" "" || rc=1 ;;
        unit-asan)
                ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
                UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
                meson_stage "$builddir/asan" "" -Db_sanitize=address,undefined -Db_lundef=false || rc=1 ;;
        valgrind)
                # The unit suites under the valgrind setup (not the integration
                # suite: its test programs are Python and dbus-daemon) ...
                MESON_TEST_ARGS="--suite policy --suite daemon" \
                meson_stage "$builddir/plain" valgrind || rc=1
                # ... then integration cases with only daxhpd under memcheck
                # (tests/integration/world.py): any error or definite leak of
                # the daemon or a step worker fails the case.
                DAXHP_VALGRIND=1 meson test -C "$builddir/plain" --print-errorlogs --num-processes 2 \
                        --logbase testlog-valgrind-integration "${valgrind_integration[@]}" >&2 || rc=1
                count_meson "$builddir/plain" valgrind-integration || rc=1 ;;
        kernel)
                tap_stage "$logf" "$top/tests/kernel/run.sh" || rc=1 ;;
        kernel-debug)
                tap_stage "$logf" "$top/tests/kernel/run.sh" --variant debug || rc=1 ;;
        e2e)
                tap_stage "$logf" "$top/tests/e2e/run.sh" || rc=1 ;;
        e2e-cxl)
                tap_stage "$logf" "$top/tests/e2e-cxl/run.sh" || rc=1 ;;
        e2e-safety)
                tap_stage "$logf" "$top/tests/e2e/run-safety.sh" || rc=1 ;;
        e2e-mainline)
                tap_stage "$logf" "$top/tests/e2e/run.sh" --kernel mainline || rc=1 ;;
        e2e-cxl-mainline|e2e-cxl-pristine)
                tap_stage "$logf" "$top/tests/e2e-cxl/run.sh" --kernel "${name#e2e-cxl-}" || rc=1 ;;
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
