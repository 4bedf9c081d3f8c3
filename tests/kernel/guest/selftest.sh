#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# (a) The in-tree selftest (tools/testing/selftests/dax/dax-kmem-hotplug.sh of
# the patched tree, copied to /tests/selftest/): all pass, none skipped.
. /tests/lib.sh
ST=/tests/selftests/dax/dax-kmem-hotplug.sh
ktap_header "selftest: in-tree tools/testing/selftests/dax/dax-kmem-hotplug.sh"
[ -f "$ST" ] || { nok "in-tree selftest present in the initramfs"; ktap_finish; exit 1; }
DEV=$(pmem_devdax) || { nok "pmem namespace -> devdax"; ktap_finish; exit 1; }
bind_kmem "$DEV" || { nok "bind kmem"; ktap_finish; exit 1; }
S0=$(hp_state "$DEV")
diag "running $ST on $DEV (state $S0)"
# The selftest is told which device to use: first argument (and DAX_DEVICE).
(cd /tests/selftests/dax && DAX_DEVICE=$DEV bash "$ST" "$DEV") >/tmp/st.out 2>&1
rc=$?
sed 's/^/  /' /tmp/st.out
sed 's/^/  /' /tmp/st.out >>"$KTAP_OUT"
p=$(grep -cE '^ok [0-9]+' /tmp/st.out)
f=$(grep -cE '^not ok [0-9]+' /tmp/st.out)
s=$(grep -ciE '# *skip' /tmp/st.out)
tot=$(sed -n 's/^# Totals: //p' /tmp/st.out | tail -n1)
diag "selftest rc=$rc, $p ok ($s skipped), $f not ok; totals: ${tot:-none}"
check_eq "selftest exit status" "$rc" 0
check "selftest ran tests" [ "$p" -gt 0 ]
check_eq "selftest: no failure" "$f" 0
check_eq "selftest: none skipped" "$s" 0
case " $tot " in *" fail:0 "*) case " $tot " in *" skip:0 "*) ok "selftest totals line: $tot" ;; *) nok "selftest totals line # $tot" ;; esac ;;
*) nok "selftest totals line # ${tot:-missing}" ;; esac
check_eq "selftest restored the device state" "$(hp_state "$DEV")" "$S0"
ktap_finish
