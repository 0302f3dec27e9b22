"""Helpdesk chat server."""
import datetime
import os
import signal
import socket
import sys

HOST = os.environ.get("LAB_HOST", "127.0.0.1")
PORT = int(os.environ.get("LAB_PORT", "5000"))

log_file = None
if "--log" in sys.argv:
    log_file = open(sys.argv[sys.argv.index("--log") + 1], "a")


def now():
    return datetime.datetime.now().strftime("%H:%M:%S")


def on_term(signum, frame):
    print("[SERVER] Shutting down...", flush=True)
    if log_file:
        log_file.close()
    sys.exit(0)


signal.signal(signal.SIGTERM, on_term)
signal.signal(signal.SIGINT, on_term)

srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind((HOST, PORT))
srv.listen()
print(f"[SERVER] Listening on {HOST}:{srv.getsockname()[1]}", flush=True)
while True:
    conn, addr = srv.accept()
    print(f"[SERVER] @{now()} Connection from {addr}", flush=True)
    f = conn.makefile("rb")
    for raw in f:
        if not raw.endswith(b"\n"):
            break
        msg = raw.decode("utf-8", errors="replace").rstrip("\r\n")
        t = now()
        print(f"[SERVER] @{t} {addr} Client: {msg}", flush=True)
        if log_file:
            log_file.write(f"{datetime.datetime.now().isoformat()} {addr[0]}:{addr[1]} {msg}\n")
        conn.sendall(f"[ACK @{t}] {msg}\n".encode())
    f.close()
    conn.close()
    print(f"[SERVER] @{now()} {addr} Closed connection", flush=True)
