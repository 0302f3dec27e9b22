"""Hostile fixture: a server that fills loopback TCP buffers inside its own
network namespace: 4 processes, each with up to 120 connected pairs whose
one end sends without the other reading (buffers asked as large as the
kernel gives). Socket memory is one pool for the whole machine; bounded
here by the tree's cgroup. Stops by itself after 20 s."""
import os
import signal
import socket
import sys
import time

HOLD = 20
signal.alarm(HOLD + 10)


def hog(pairs):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1024)
    port = listener.getsockname()[1]
    keep, queued = [], 0
    chunk = b"x" * (1 << 20)
    for _ in range(pairs):
        try:
            sender = socket.socket()
            sender.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 64 << 20)
            sender.connect(("127.0.0.1", port))
            receiver, _ = listener.accept()
            receiver.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 << 20)
            sender.setblocking(False)
            while True:
                try:
                    queued += sender.send(chunk)
                except BlockingIOError:
                    break
            keep += [sender, receiver]
        except OSError as error:
            print(f"tcp hog: {error}", file=sys.stderr, flush=True)
            break
    print(f"tcp hog: {len(keep) // 2} pairs, {queued >> 20} MiB queued", file=sys.stderr, flush=True)
    time.sleep(HOLD)
    os._exit(0)


listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind((os.environ.get("LAB_HOST", "127.0.0.1"), int(os.environ.get("LAB_PORT", "0"))))
listener.listen(8)
print(f"[SERVER] Listening on 127.0.0.1:{listener.getsockname()[1]}", flush=True)
for _ in range(4):
    if os.fork() == 0:
        hog(120)
time.sleep(HOLD)
