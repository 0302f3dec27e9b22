"""Allocates 4 GiB in steps of 64 MiB, touching every page, then listens.

Safety: stops early when the machine has less than 2 GiB available, so on an
unsandboxed run it cannot push the machine into the OOM killer.
Expected: a memory limit stops it (`resource-limit` naming the size).
"""

import sys

from common import bound, say, server_main

STEP = 64 << 20
TOTAL = 4 << 30


def available():
    with open("/proc/meminfo") as info:
        for line in info:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    return 0


bound()
held = []
while len(held) * STEP < TOTAL:
    if available() < (2 << 30):
        print(f"stopped at {len(held) * STEP >> 20} MiB: the machine is low on memory",
              file=sys.stderr, flush=True)
        break
    held.append(b"\x01" * STEP)  # written, so really resident
print(f"allocated {len(held) * STEP >> 20} MiB", file=sys.stderr, flush=True)
server_main()
