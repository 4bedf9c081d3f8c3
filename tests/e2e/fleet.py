# SPDX-License-Identifier: LGPL-2.1-or-later
"""Step 11 of the e2e scenario (issue 14): the fleet interfaces in the guest.

clients/daxhp-orchestrate (installed by meson into /usr/local/bin) lists,
drains and unplugs a device against the running daxhpd; Debian's
prometheus-node-exporter, started with its textfile directory where daxhpd
writes (/var/lib/prometheus/node-exporter), is scraped over loopback and
must show the daxhp_* series with the values the transitions left; the
scraped file is linted with the host's promtool; the NFD feature file
appears once its directory exists (daxhpd restarted: the unit's
ReadWritePaths= takes a directory that exists at start).
"""

import json
import os
import re
import shlex
import subprocess
import tempfile
import time

TEXTFILE_DIR = "/var/lib/prometheus/node-exporter"
NFD_FILE = "/etc/kubernetes/node-feature-discovery/features.d/daxhp"
SCRAPE = ("python3 -c 'import urllib.request,sys; "
          "sys.stdout.write(urllib.request.urlopen(\"http://127.0.0.1:9100/metrics\", timeout=20).read().decode())'")
SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')


class FleetFail(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise FleetFail(msg)


def samples(text, prefix):
    """{(name, frozenset(labels)): value} of the lines starting with prefix."""
    out = {}
    for line in text.splitlines():
        if not line.startswith(prefix):
            continue
        m = SAMPLE.match(line)
        if m:
            labels = frozenset(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"', m.group(2) or ""))
            out[(m.group(1), labels)] = float(m.group(3))
    return out


def get(s, name, **labels):
    return s.get((name, frozenset(labels.items())))


def orchestrate(sc, *args, timeout=400):
    rc, out, err = sc.vm.run3("daxhp-orchestrate " + " ".join(shlex.quote(a) for a in args), timeout, b"", None)
    try:
        return rc, json.loads(out)
    except ValueError:
        raise FleetFail("daxhp-orchestrate %s: rc %d, no JSON: %s %s" % (" ".join(args), rc, out, err))


def start_node_exporter(sc):
    """Enabled by the package in the image; make sure it runs and reads our directory."""
    help_text = sc.run("prometheus-node-exporter --help 2>&1", timeout=60)[1]
    m = re.search(r'--collector\.textfile\.directory="?([^"\s]*)', help_text)
    default = m.group(1) if m else ""
    args = sc.sh("sed -n 's/^ARGS=//p' /etc/default/prometheus-node-exporter", timeout=30)
    changed = default != TEXTFILE_DIR and TEXTFILE_DIR not in args
    if changed:
        sc.sh("echo 'ARGS=\"--collector.textfile.directory=%s\"' >> /etc/default/prometheus-node-exporter"
              % TEXTFILE_DIR, timeout=30)
    sc.log("#   node-exporter textfile directory: default %r, ARGS %s" % (default, args.strip()))
    # The package enables it (multi-user.target.wants); `systemctl enable` would run
    # update-rc.d (slow under TCG), so only start it, or restart it for new ARGS.
    sc.sh("systemctl %s prometheus-node-exporter" % ("restart" if changed else "start"), timeout=300)
    state = sc.run("systemctl is-enabled prometheus-node-exporter; systemctl is-active prometheus-node-exporter",
                   timeout=60)[1].split()
    check(state[-1:] == ["active"], "prometheus-node-exporter: %s" % state)


def scrape(sc, want, timeout=180):
    """Scrape until want(samples) holds; returns (samples, text)."""
    deadline = time.monotonic() + timeout
    last = ""
    while True:
        rc, out, _ = sc.vm.run3(SCRAPE, 60, b"", None)
        if rc == 0:
            last = out
            s = samples(out, "daxhp_")
            s.update(samples(out, "node_textfile_scrape_error"))
            if want(s):
                return s, out
        if time.monotonic() > deadline:
            tail = "\n".join(l for l in last.splitlines() if "daxhp" in l or "textfile" in l)
            raise FleetFail("node-exporter never showed what was expected; last scrape (rc %d):\n%s"
                            % (rc, tail or out[-2000:]))
        time.sleep(3)


def promtool(sc, text):
    with tempfile.NamedTemporaryFile("w", suffix=".prom", delete=False) as f:
        f.write(text)
    try:
        with open(f.name) as fh:
            r = subprocess.run(["promtool", "check", "metrics"], stdin=fh, capture_output=True, text=True,
                               timeout=60)
    finally:
        os.unlink(f.name)
    check(r.returncode == 0 and not (r.stdout + r.stderr).strip(),
          "promtool check metrics on the guest's daxhp.prom: %s%s" % (r.stdout, r.stderr))


def pick_device(sc, listed):
    """pmem0 of step 2 when it ran, else any device in system-ram mode (the hmem one at boot)."""
    dev = sc.devs.get("pmem0")
    if dev is None:
        ram = [d["Name"] for d in listed if d["Mode"] == "system-ram"]
        check(ram, "no device in system-ram mode to drive: %s" % [d["Name"] for d in listed])
        dev = ram[0]
    return dev


def step(sc):
    """fleet: daxhp-orchestrate list/drain/unplug; node-exporter scrape shows the daxhp series; NFD file"""
    start_node_exporter(sc)

    rc, listed = orchestrate(sc, "list", timeout=60)
    check(rc == 0 and isinstance(listed, list) and listed, "daxhp-orchestrate list: rc %d %s" % (rc, listed))
    dev = pick_device(sc, listed)
    info = {d["Name"]: d for d in listed}[dev]
    sc.log("#   list: %s" % ", ".join("%s=%s" % (d["Name"], d["State"]) for d in listed))

    rc, doc = orchestrate(sc, "set", dev, "online_movable", "--timeout", "300")
    check(rc == 0 and doc["result"] == "done", "set %s online_movable: %s" % (dev, doc))
    s, _ = scrape(sc, lambda s: get(s, "daxhp_device_state", device=dev, state="online_movable") == 1)
    done0 = get(s, "daxhp_transitions_total", result="done")
    check(done0 is not None, "no daxhp_transitions_total in the scrape")

    # Drain: on this one-node guest PagesInUse counts the node's whole use
    # (bounded by the device's size), so the bar is the device's own size.
    pages = info["Size"] // 4096
    rc, doc = orchestrate(sc, "drain", dev, "--timeout", "120", "--max-pages", str(pages), "--interval", "2")
    check(rc == 0 and doc["result"] == "drained" and doc["pages_in_use"] <= pages and doc["hazards"] == [],
          "drain %s: %s" % (dev, doc))
    sc.log("#   drain: %d pages in use, %.1f s" % (doc["pages_in_use"], doc["seconds"]))

    rc, doc = orchestrate(sc, "unplug", dev, "--timeout", "300")
    check(rc == 0 and (doc["device"], doc["from"], doc["to"], doc["state"], doc["result"], doc["error"])
          == (dev, "online_movable", "unplugged", "unplugged", "done", None), "unplug %s: %s" % (dev, doc))
    sc.log("#   unplug: %s in %.1f s" % (doc["result"], doc["seconds"]))
    sc.kernel_agrees(dev, "unplugged")

    s, text = scrape(sc, lambda s: get(s, "daxhp_device_state", device=dev, state="unplugged") == 1)
    check(get(s, "daxhp_device_state", device=dev, state="online_movable") == 0, "one-hot state broken")
    check(get(s, "daxhp_transitions_total", result="done") >= done0 + 1,
          "transitions done %s after the unplug, before %s" % (get(s, "daxhp_transitions_total", result="done"),
                                                             done0))
    check(get(s, "daxhp_device_online_blocks", device=dev) == 0, "online blocks after unplug: %s"
          % get(s, "daxhp_device_online_blocks", device=dev))
    check(get(s, "daxhp_device_size_bytes", device=dev) == info["Size"], "size %s, the bus says %s"
          % (get(s, "daxhp_device_size_bytes", device=dev), info["Size"]))
    check(get(s, "daxhp_transition_duration_seconds_count") >= 1, "no transition in the histogram")
    check(get(s, "daxhp_queue_length") == 0, "queue length %s" % get(s, "daxhp_queue_length"))
    check(get(s, "node_textfile_scrape_error") == 0, "node-exporter: textfile scrape error")
    sc.log("#   scraped: " + "; ".join(l for l in text.splitlines()
                                      if l.startswith(("daxhp_transitions_total{result=\"done\"",
                                                       "daxhp_device_state{device=\"%s\",state=\"unplugged\"" % dev))))
    promtool(sc, sc.sh("cat %s/daxhp.prom" % TEXTFILE_DIR, timeout=30))

    # NFD: the directory appears, daxhpd is restarted to be allowed to write it.
    sc.sh("mkdir -p %s && systemctl restart daxhpd" % os.path.dirname(NFD_FILE), timeout=120)
    rc, doc = orchestrate(sc, "set", dev, "online_movable", "--timeout", "300")
    check(rc == 0 and doc["result"] == "done", "set %s online_movable again: %s" % (dev, doc))
    deadline = time.monotonic() + 60
    while True:
        rc, out = sc.run("cat %s" % NFD_FILE, timeout=30)
        feats = dict(l.split("=", 1) for l in out.splitlines() if "=" in l) if rc == 0 else {}
        movable = int(feats.get("daxhp-online-movable-bytes." + info["Provider"], "0"))
        if movable >= info["Size"]:
            break
        check(time.monotonic() < deadline, "NFD file %s: rc %d %s" % (NFD_FILE, rc, out))
        time.sleep(2)
    check(feats.get("daxhp-atomic-hotplug") == ("true" if sc.atomic else "false"), "NFD: %s" % feats)
    check(re.fullmatch(r"\d+", feats.get("daxhp-devices", "")), "NFD: %s" % feats)
    sc.log("#   NFD: %s" % " ".join("%s=%s" % kv for kv in sorted(feats.items())))
    s, _ = scrape(sc, lambda s: get(s, "daxhp_device_state", device=dev, state="online_movable") == 1)
