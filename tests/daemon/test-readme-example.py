#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The annotated policy example in README.md must be a file the parser accepts.

Review finding 15: the example put "# ..." after values, which the parser
(like systemd's) reads as part of the value. Extracts the indented block
that starts with "[Match]" under "## Configure" and runs `daxhpctl verify`.
"""

import os
import subprocess
import sys
import tempfile

readme, daxhpctl = sys.argv[1], sys.argv[2]
lines = open(readme).read().split('\n')
start = lines.index('## Configure: `/etc/daxhp.d/*.conf`')
block = []
for line in lines[start:]:
    if block and not line.startswith('    ') and line.strip():
        break
    if line.startswith('    ') and (block or line.strip().startswith(('#', '['))):
        block.append(line[4:])
while block and not block[-1].strip():
    block.pop()
if not any(l.startswith('[Policy]') for l in block):
    sys.exit('no [Match]/[Policy] example found in the Configure section')
with tempfile.TemporaryDirectory() as d:
    path = os.path.join(d, '50-example.conf')
    with open(path, 'w') as f:
        f.write('\n'.join(block) + '\n')
    r = subprocess.run([daxhpctl, 'verify', d], capture_output=True, text=True)
    sys.stdout.write(r.stdout)
    sys.stderr.write(r.stderr)
    if r.returncode != 0:
        sys.exit('README example rejected (exit %d):\n%s' % (r.returncode, '\n'.join(block)))
print('README example: %d lines, accepted' % len(block))
