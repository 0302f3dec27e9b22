import argparse
import datetime
import os
import signal
import socket
import sys

HOST = os.environ.get("LAB_HOST", "127.0.0.1")
PORT = int(os.environ.get("LAB_PORT", "5000"))

ap = argparse.ArgumentParser()
ap.add_argument("--log")
args = ap.parse_args()
log = open(args.log, "a") if args.log else None


def stamp():
    return datetime.datetime.now().strftime("%H:%m:%S")


def bye(*_):
    print("[SERVER] Shutting down", flush=True)
    sys.exit(0)


signal.signal(signal.SIGINT, bye)
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind((HOST, PORT))
srv.listen()
print(f"[SERVER] Listening on {HOST}:{srv.getsockname()[1]}", flush=True)
while True:
    conn, (ip, port) = srv.accept()
    who = f"{ip}:{port}"
    print(f"[SERVER] @{stamp()} Connection from {who}", flush=True)
    buf = b""
    while True:
        chunk = conn.recv(1024)
        if not chunk:
            break
        buf += chunk
        while b"\n" in buf:
            raw, buf = buf.split(b"\n", 1)
            try:
                msg = raw.decode().strip()
            except UnicodeDecodeError:
                conn.sendall(b"[ERROR] Invalid UTF-8\n")
                continue
            t = stamp()
            print(f"[SERVER] @{t} {who} Client: {msg}", flush=True)
            if log:
                log.write(f"{datetime.datetime.now().isoformat()} {who} {msg}\n")
                log.flush()
            conn.sendall(f"[ACK @{t}] {msg}\n".encode())
    conn.close()
    print(f"[SERVER] @{stamp()} {who} Closed connection", flush=True)
