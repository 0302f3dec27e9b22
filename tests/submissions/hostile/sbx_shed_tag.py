"""Hostile fixture: detaches (double fork + setsid) and re-executes itself
with an EMPTY environment, so nothing netlab put in its environment marks
it any more; the detached process sleeps 25 s (its bound) with the marker
argv[1] on its command line. The process the grader started exits 1.

Expected: ended by the end of the run even where only the subreaper
fallback runs (it adopts every orphan, tagged or not)."""
import os
import sys

from common import bound

marker = sys.argv[1] if len(sys.argv) > 1 else "netlab-shed-tag"
bound()
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(devnull, fd)
        os.execve(
            sys.executable,
            [sys.executable, "-c", "import time; time.sleep(25)", marker],
            {},
        )
    os._exit(0)
os.wait()
print("detached a process with an empty environment", file=sys.stderr)
sys.exit(1)
