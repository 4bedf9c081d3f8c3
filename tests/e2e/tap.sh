# SPDX-License-Identifier: LGPL-2.1-or-later
# TAP helpers shared by the guest stage runners (tests/e2e/run.sh,
# tests/e2e-cxl/run.sh, tests/e2e/run-safety.sh). Source after setting WORK (log dir) and
# TAP_PREFIX (the test names' prefix, e.g. "cxl").
passed=0 failed=0
t() { date +%s; }
result() { # ok|not-ok description
	if [ "$1" = ok ]; then passed=$((passed + 1)); echo "ok $2"; else failed=$((failed + 1)); echo "not ok $2"; fi
}
finish() { echo "# logs: $WORK"; echo "$passed passed, $failed failed"; [ "$failed" = 0 ]; exit; }
# step NAME LOG CMD...: the last stdout line of CMD into $out and an "ok"
# line; or a "not ok" line with the log's tail, and status 1.
step() {
	local name=$1 log=$WORK/$2 t0
	shift 2
	t0=$(t)
	if out=$("$@" 2>"$log" | tail -n1) && [ -n "$out" ]; then
		result ok "$TAP_PREFIX.$name - $out ($(( $(t) - t0 )) s)"
		return 0
	fi
	result not-ok "$TAP_PREFIX.$name - $* failed (see $log)"
	tail -n 15 "$log" | sed 's/^/#   /'
	return 1
}
# prereq NAME LOG CMD...: a step whose failure ends the run (nothing after a
# missing prerequisite can pass).
prereq() {
	step "$@" || finish
}
