"""Hostile fixture: a child listens with a long backlog and an 8 MiB
receive buffer, connects 70 clients of its own, never accepts them, and
has them send up to 440 MB; then the server serves one client correctly.

Bytes queued on a connection never accepted are charged to no cgroup, only
to the machine's TCP pool, which every network namespace shares (hostile
round 26: 846 MiB held while the tree's cgroup showed 7 MiB). Its check's
own assertions pass: the grader must stop the tree and name it
`resource-limit`.
"""

import os
import socket
import time

from common import bound, server_main

bound()
ready_r, ready_w = os.pipe()
if os.fork() == 0:
    bound()
    os.close(ready_r)
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    listener.bind(("127.0.0.1", 0))
    listener.listen(4096)
    clients = []
    for _ in range(70):
        client = socket.create_connection(listener.getsockname())
        client.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 256 << 10)
        client.setblocking(False)
        clients.append(client)
    chunk, sent = b"x" * 65536, 0
    for _ in range(200):  # bounded: rounds of sends until nothing moves
        moved = 0
        for client in clients:
            try:
                while sent < 440_000_000:
                    n = client.send(chunk)
                    sent, moved = sent + n, moved + n
            except BlockingIOError:
                pass
        if moved == 0 or sent >= 440_000_000:
            break
        time.sleep(0.05)
    os.write(ready_w, b"x")
    time.sleep(30)
    os._exit(0)
os.close(ready_w)
os.read(ready_r, 1)  # the queues are full (or it was stopped) first
server_main()
