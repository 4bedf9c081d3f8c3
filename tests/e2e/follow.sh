# SPDX-License-Identifier: LGPL-2.1-or-later
# Sourced by tests/e2e/run.sh and tests/e2e-cxl/run.sh.
#
# follow_scenario OUT LABEL CMD...: runs a scenario (CMD) with its output in
# OUT, echoes its lines as they come and counts its ok/not ok lines into the
# caller's $passed and $failed; a scenario that dies without its closing
# "N passed, N failed" line counts as one failure named LABEL.harness.
follow_scenario() {
	local out=$1 label=$2 spid line
	shift 2
	: >"$out"   # exists before tail follows it (else tail gives up and nothing counts)
	"$@" >"$out" 2>&1 &
	spid=$!
	while IFS= read -r line; do
		case $line in
		"ok "*) passed=$((passed + 1)); echo "$line" ;;
		"not ok "*) failed=$((failed + 1)); echo "$line" ;;
		*" passed, "*" failed") ;;
		*) echo "$line" ;;
		esac
	done < <(tail -n +1 --pid=$spid -f "$out")
	wait $spid
	if ! grep -q ' passed, .* failed$' "$out"; then
		failed=$((failed + 1))
		echo "not ok $label.harness - the scenario died (see $out)"
	fi
}
