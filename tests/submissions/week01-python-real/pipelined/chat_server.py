# Helpdesk chat server. Keeps a buffer per client so split lines work.
import argparse
import os
import socket
import time

parser = argparse.ArgumentParser()
parser.add_argument("--log", default="chat.log")
args = parser.parse_args()

HOST = os.getenv("LAB_HOST", "127.0.0.1")
PORT = int(os.getenv("LAB_PORT", "5000"))

srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind((HOST, PORT))
srv.listen(5)
print(f"[SERVER] Listening on {HOST}:{srv.getsockname()[1]}")

log = open(args.log, "a", encoding="utf-8")

while True:
    conn, addr = srv.accept()
    conn.settimeout(30)
    buf = b""
    try:
        while True:
            data = conn.recv(1024)
            if not data:
                break
            buf += data
            while b"\n" in buf:
                raw, buf = buf.split(b"\n", 1)
                msg = raw.decode("utf-8", errors="replace").rstrip("\r")
                now = time.strftime("%H:%M:%S")
                print(f"[SERVER] @{now} {addr} Client: {msg}")
                log.write(f"{now} {msg}\n")
                log.flush()
                os.fsync(log.fileno())
                conn.sendall(f"[ACK @{now}] {msg}\n".encode())
    except (socket.timeout, ConnectionResetError):
        pass
    conn.close()
