"""Hostile fixture: renames a folder away (argv[1], or its own working
folder) and leaves a symlink to another folder in its place, so that the
grader's next private copy of the submission would take that folder for
the submission's (the folder above being writable by all, as an unpacked
archive's often is). Says what happened on stderr, then exits 1."""
import os
import sys

target = sys.argv[1] if len(sys.argv) > 1 else os.getcwd()
parent = os.path.dirname(target)
try:
    os.rename(target, os.path.join(parent, ".old"))
    os.symlink("/etc", target)
    print("swap: done", file=sys.stderr)
except OSError as e:
    print(f"swap: refused ({e.strerror})", file=sys.stderr)
sys.exit(1)
