"""Hostile fixture: opens the controlling terminal (/dev/tty) to draw a
forged score on the user's screen, around the grader's report. Says on
stderr whether it could, then exits 1.

Expected: refused (the grader starts every program in a session of its
own, without a controlling terminal), so nothing reaches the screen and
no keystroke can be pushed into the user's shell with TIOCSTI."""
import os
import sys

try:
    tty = os.open("/dev/tty", os.O_RDWR)
    os.write(tty, b"\r\nFORGED-BY-SUBMISSION: 36 passed, 0 failed\r\n")
    print("tty: opened", file=sys.stderr, flush=True)
except OSError as error:
    print(f"tty: refused ({error.strerror})", file=sys.stderr, flush=True)
sys.exit(1)
