"""Hostile fixture: builds a chain of folders 20 000 deep in its own
working folder, each step shallow (a new folder at the top, the chain
renamed into it, the new folder renamed to the chain's name), with a file
at the bottom. Removing it one descriptor and one stack frame per level
aborted the grader, or left it in /dev/shm. Says how deep it got on
stderr, then exits 1."""
import os
import sys

os.makedirs("d", exist_ok=True)
with open("d/data", "w") as f:
    f.write("x" * 4096)
depth = 1
try:
    while depth < 20000:
        os.mkdir("n")
        os.rename("d", "n/d")
        os.rename("n", "d")
        depth += 1
except OSError as e:
    print(f"deep: stopped at {depth} ({e.strerror})", file=sys.stderr)
print(f"deep: {depth} levels", file=sys.stderr)
sys.exit(1)
