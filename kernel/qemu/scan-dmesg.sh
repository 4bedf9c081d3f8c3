#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Scan a guest console log (from kernel/qemu/run-vm.sh) for kernel splats.
#
#   kernel/qemu/scan-dmesg.sh LOG
#
# Scans the whole log: the live console (kernel messages up to loglevel 7,
# all a panic or hang leaves) and the DAXHP-DMESG-BEGIN/END block the guest
# prints at the end (complete, ordered dmesg).  Always fatal: BUG,
# Oops, general protection fault, KASAN/UBSAN/KFENCE reports, lockdep splats,
# panics, hung tasks, soft lockups, list corruption, guest/host timeouts.
# "WARNING:" and "------------[ cut here ]" are fatal too: nothing a test does
# may WARN (a user-triggerable WARN panics a panic_on_warn machine).
# A report that the unpatched kernel produces as well is listed in
# kernel/qemu/known-splats with markers that must all occur inside it; it is
# printed as KNOWN and does not fail the scan.
# Prints offending lines; exit 0 clean, 1 splat found, 2 usage.
set -uo pipefail
LOG=${1:?usage: scan-dmesg.sh LOG}
[ -f "$LOG" ] || { echo "scan-dmesg.sh: no such log $LOG" >&2; exit 2; }
KNOWN=${DAXHP_KNOWN_SPLATS:-$(dirname "$0")/known-splats}

tr -d '\r' <"$LOG" | awk -v knownfile="$KNOWN" '
	BEGIN {
		nk = 0
		while ((getline kl < knownfile) > 0) {
			if (kl ~ /^#/ || kl !~ /\|/) continue
			split(kl, f, "|"); nk++
			kid[nk] = f[1]; ktitle[nk] = f[2]; kmarks[nk] = f[3]
		}
	}
	# Last line of the report starting at line i: the end of the stack
	# backtrace (lockdep) or the closing ===== rule (KASAN and friends).
	function report_end(i,   j, bt) {
		bt = 0
		for (j = i + 1; j <= L && j < i + 400; j++) {
			if (line[j] ~ /stack backtrace:/) bt = 1
			if (bt && line[j] ~ /<\/TASK>/) return j
			if (!bt && line[j] ~ /^=+$/) return j
		}
		return i
	}
	# Index of the known-splats entry the report at line i matches, or 0.
	function known_report(i,   k, e, j, nm, m, mk, hit, ok) {
		for (k = 1; k <= nk; k++) {
			if (line[i] !~ ktitle[k]) continue
			e = report_end(i)
			nm = split(kmarks[k], mk, ";"); ok = 1
			for (m = 1; m <= nm && ok; m++) {
				hit = 0
				for (j = i; j <= e && !hit; j++) if (index(line[j], mk[m]) || line[j] ~ mk[m]) hit = 1
				ok = hit
			}
			if (ok) { kend = e; return k }
		}
		return 0
	}
	{ all[++n] = $0 }
	/^DAXHP-DMESG-BEGIN/ { inb = 1; next }
	/^DAXHP-DMESG-END/ { inb = 0; have = 1; next }
	inb { blk[++m] = $0 }
	/^DAXHP-(WATCHDOG|HOST-TIMEOUT)/ { timeouts[++t] = $0 }
	END {
		for (i = 1; i <= n; i++) line[i] = all[i]
		L = n; src = have ? "console + dmesg block" : "console only (no dmesg block)"
		fatal = "(BUG:|kernel BUG at|Oops|general protection fault|KASAN:|UBSAN:|KFENCE:|" \
			"possible circular locking|WARNING: possible|inconsistent lock state|" \
			"possible recursive locking|suspicious RCU usage|lock held when returning|" \
			"Kernel panic|soft lockup|hard LOCKUP|blocked for more than|" \
			"list_add corruption|list_del corruption|Bad page state|bad page map|" \
			"DEBUG_LOCKS_WARN_ON|VM_BUG_ON|refcount_t:)"
		bad = 0; known = 0
		for (i = 1; i <= L; i++) {
			s = line[i]
			if (s ~ fatal) {
				k = known_report(i)
				if (k) { print "KNOWN " kid[k] ": " s; known++; i = kend; continue }
				print "SPLAT: " s; bad++; continue
			}
			if (s ~ /WARNING:|-+\[ cut here \]-+/) { print "UNEXPECTED WARN: " s; bad++ }
			if (s ~ /rcu.*detected stall/) print "note (not fatal, TCG): " s
		}
		for (i = 1; i <= t; i++) { print "TIMEOUT: " timeouts[i]; bad++ }
		printf "scan-dmesg: %s, %d lines, %d problem line(s), %d known pre-existing report(s)\n", src, L, bad, known
		exit bad ? 1 : 0
	}'
