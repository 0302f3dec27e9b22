"""Hostile fixture: fills its own working folder with 8 MiB files until
the system refuses one, or 256 MiB are written (its own bound). Run in
place (a folder too big for a private copy) and writable by all, its
writes once reached the real disk and stayed there. Says how far it got
on stderr, then exits 1."""
import os
import sys

STEP = 8 << 20
written = 0
why = "its own bound"
try:
    while written < 256 << 20:
        with open(f"fill-{written // STEP}", "wb") as f:
            f.write(b"\0" * STEP)
        written += STEP
except OSError as e:
    why = e.strerror
print(f"fill: {written >> 20} MiB written, stopped by {why}", file=sys.stderr)
sys.exit(1)
