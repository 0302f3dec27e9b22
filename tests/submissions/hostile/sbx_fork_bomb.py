"""Hostile fixture: forks 400 children that each sleep 30 s (bounded in
count and time), then listens like a server would."""
import os
import sys
import time

children = 0
for _ in range(400):
    pid = os.fork()  # fails with EAGAIN once the sandbox's limit is reached
    if pid == 0:
        time.sleep(30)
        os._exit(0)
    children += 1
print(f"forked {children} children", file=sys.stderr, flush=True)
time.sleep(30)
