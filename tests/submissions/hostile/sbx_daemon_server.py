"""Hostile fixture: a server that detaches (double fork + setsid) and keeps
listening in the background. Bounded: the daemon lives at most 40 s, binds
one loopback port. argv[1] is a marker the test looks for in /proc."""
import os
import socket
import sys
import time

marker = sys.argv[1] if len(sys.argv) > 1 else "netlab-daemon"
if os.fork() > 0:
    sys.exit(0)  # the parent the grader started: gone at once
os.setsid()
if os.fork() > 0:
    os._exit(0)
listener = socket.socket()
listener.bind(("127.0.0.1", 0))
listener.listen()
print(f"[SERVER] Listening on 127.0.0.1:{listener.getsockname()[1]}", flush=True)
os.execvp(sys.executable, [sys.executable, "-c", "import time; time.sleep(40)", marker])
