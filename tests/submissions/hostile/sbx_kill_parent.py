"""Hostile fixture: kills its parent (under the grader without a sandbox,
that is the grader itself) and then stops itself with SIGSTOP."""
import os
import signal
import sys

try:
    os.kill(os.getppid(), signal.SIGKILL)
    print("killed the parent", file=sys.stderr, flush=True)
except OSError as e:
    print(f"kill parent: refused ({e.strerror})", file=sys.stderr, flush=True)
os.kill(os.getpid(), signal.SIGSTOP)
