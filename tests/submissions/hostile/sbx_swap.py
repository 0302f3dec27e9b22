"""Hostile fixture, run in place (its folder too big to copy): renames its
own folder away and leaves a symlink to another folder in its place, so
that the grader's next private copy would take that folder for this
submission's. Says what happened on stderr, then exits 1."""
import os
import sys

here = os.getcwd()
parent = os.path.dirname(here)
try:
    os.rename(here, os.path.join(parent, ".old"))
    os.symlink("/etc", here)
    print("swap: done", file=sys.stderr)
except OSError as e:
    print(f"swap: refused ({e.strerror})", file=sys.stderr)
sys.exit(1)
