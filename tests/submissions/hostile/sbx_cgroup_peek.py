"""Hostile fixture: lists the machine's cgroup trees (/sys/fs/cgroup),
where every check's counters live (memory, CPU time, OOM kills: a
classmate's limits being hit, read live), and the mount table of its
namespace's init (every check's folders, hostile round 32), and says
what it found on stderr, then exits 1."""
import os
import sys

found = []
for root, dirs, files in os.walk("/sys/fs/cgroup"):
    found.extend(d for d in dirs if d == "netlab")
    if len(found) > 0 or root.count("/") > 5:
        break
entries = sorted(os.listdir("/sys/fs/cgroup")) if os.path.isdir("/sys/fs/cgroup") else []
try:
    with open("/proc/1/mountinfo") as f:
        mounts = len(f.readlines())
except OSError:
    mounts = 0
print(f"cgroup: {len(entries)} entries, netlab trees: {len(found)}, init's mounts: {mounts}", file=sys.stderr)
sys.exit(1)
