"""Hostile fixture: lists the machine's cgroup trees (/sys/fs/cgroup),
where every check's counters live (memory, CPU time, OOM kills: a
classmate's limits being hit, read live), and says what it found on
stderr, then exits 1."""
import os
import sys

found = []
for root, dirs, files in os.walk("/sys/fs/cgroup"):
    found.extend(d for d in dirs if d == "netlab")
    if len(found) > 0 or root.count("/") > 5:
        break
entries = sorted(os.listdir("/sys/fs/cgroup")) if os.path.isdir("/sys/fs/cgroup") else []
print(f"cgroup: {len(entries)} entries, netlab trees: {len(found)}", file=sys.stderr)
sys.exit(1)
