#!/usr/bin/env python3
"""hardening.py UNIT STRACE_LOG WRITABLE_DIR... - what the service unit's
hardening would refuse, checked on an strace of the pool serving the smoke
suite (this machine runs no systemd as PID 1, so the unit's sandbox itself
cannot be started here; its rules are checked against what the program
really does instead):
  SystemCallFilter=       every system call made is in the unit's sets;
  MemoryDenyWriteExecute  no mapping is both writable and executable;
  RestrictAddressFamilies every socket's family is allowed;
  ProtectSystem=strict    files are written only under the writable paths
                          (state, logs, runtime, ReadWritePaths; /tmp is
                          private) and /dev/null.
"""
import re
import subprocess
import sys


def unit_values(unit, key):
    out = []
    for line in open(unit):
        if line.startswith(key + "="):
            out += line.split("=", 1)[1].split()
    return out


def syscall_groups():
    text = subprocess.run(["systemd-analyze", "syscall-filter"], capture_output=True,
                          text=True, check=True).stdout
    groups, current = {}, None
    for line in text.splitlines():
        if line.startswith("@"):
            current = line.strip()
            groups[current] = []
        elif current and line.strip() and not line.strip().startswith("#"):
            groups[current].append(line.strip())
    return groups


def expand(names, groups, seen=None):
    seen = set() if seen is None else seen
    out = set()
    for n in names:
        if n.startswith("@"):
            if n not in seen:
                seen.add(n)
                out |= expand(groups.get(n, []), groups, seen)
        else:
            out.add(n)
    return out


def main():
    unit, log, writable = sys.argv[1], sys.argv[2], sys.argv[3:] + ["/tmp/", "/dev/null"]
    groups = syscall_groups()
    allowed = expand(unit_values(unit, "SystemCallFilter"), groups)
    families = set(unit_values(unit, "RestrictAddressFamilies"))
    problems, calls = [], set()
    call_re = re.compile(r"^(?:\[pid\s+)?\d*\]?\s*([a-z_0-9]+)\((.*)")
    for line in open(log, errors="replace"):
        line = re.sub(r"^\d+\s+", "", line)
        m = call_re.match(line)
        if not m:
            continue
        name, args = m.group(1), m.group(2)
        calls.add(name)
        if name in ("mmap", "mprotect", "pkey_mprotect") and "PROT_WRITE" in args and \
                "PROT_EXEC" in args:
            problems.append("writable and executable memory: " + line.strip()[:160])
        if name == "socket":
            fam = args.split(",")[0].strip()
            if fam not in families:
                problems.append("address family %s: %s" % (fam, line.strip()[:160]))
        if name in ("open", "openat", "creat", "mkdir", "mkdirat", "rename", "renameat",
                    "renameat2", "unlink", "unlinkat", "link", "linkat") and \
                (name not in ("open", "openat") or re.search(r"O_WRONLY|O_RDWR|O_CREAT", args)):
            paths = re.findall(r'"([^"]*)"', args)
            for p in paths:
                if p.startswith("/") and not any(p.startswith(w) for w in writable) \
                        and "= -1" not in line:
                    problems.append("write outside the writable paths: " + line.strip()[:160])
    refused = sorted(calls - allowed)
    if refused:
        problems.append("system calls outside SystemCallFilter: " + ", ".join(refused))
    print("hardening: %d distinct system calls checked against %s, socket families against %s: %s"
          % (len(calls), " ".join(unit_values(unit, "SystemCallFilter")), " ".join(sorted(families)),
             "all allowed, no W+X memory, writes only under the writable paths" if not problems
             else "%d problems" % len(problems)))
    for p in problems[:20]:
        print("  " + p)
    sys.exit(1 if problems else 0)


main()
