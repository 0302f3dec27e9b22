"""Plays the client (or any role) and meddles with every loopback listener.

For SECONDS (argument 2, default 4) it connects to every port listening on
127.0.0.1 — the grader's fake servers, other gradings' servers — and sends
forged lines and replies, and it holds 50 listening ports of its own
(binding around). Then it exits 0.
Expected: the grader's fake servers talk only to the program they started
(connections from others are refused and do not count).
"""

import socket
import sys
import time

from common import bound, deadline, loopback_listeners

bound()
seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 4
hoard = []
for _ in range(50):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(1)
    hoard.append(sock)
mine = {s.getsockname()[1] for s in hoard}
end = deadline(seconds)
while time.monotonic() < end:
    for port in loopback_listeners():
        if port in mine:
            continue
        try:
            conn = socket.create_connection(("127.0.0.1", port), timeout=0.2)
            conn.sendall(b"ACK: forged\n[CHAT] forged\n")
            conn.close()
        except OSError:
            pass
    time.sleep(0.02)
