#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The bash completion of daxhpctl completes verbs, states and options (TAP):
#   check-completion.sh shell-completion/bash/daxhpctl
set -u
source /usr/share/bash-completion/bash_completion
source "$1"
n=0 fail=0
complete_line() { # words... ; prints COMPREPLY
	COMP_WORDS=("$@")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMP_LINE="${COMP_WORDS[*]}"
	COMP_POINT=${#COMP_LINE}
	COMPREPLY=()
	_daxhpctl daxhpctl "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
	printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' '
}
t() { # want got name
	n=$((n + 1))
	if [ "$1" = "$2" ]; then echo "ok $n - $3"; else echo "not ok $n - $3"; echo "#   want '$1', got '$2'"; fail=1; fi
}
t "set " "$(complete_line daxhpctl se)" "verb"
t "reload reset " "$(complete_line daxhpctl re)" "verbs by prefix"
t "online online_kernel online_movable " "$(complete_line daxhpctl set dax0.0 onl)" "set states"
t "--no-block " "$(complete_line daxhpctl set --no-b)" "set --no-block"
t "--force " "$(complete_line daxhpctl set --fo)" "set --force"
t "--timeout " "$(complete_line daxhpctl wait --tim)" "wait --timeout"
t "pretty " "$(complete_line daxhpctl --json=pr)" "--json= modes"
t "--no-legend --no-pager " "$(complete_line daxhpctl --no-)" "shared options"
echo "1..$n"
exit $fail
