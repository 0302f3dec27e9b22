# Week 1 one-shot server
# reads the client's whole message through a file object (easier than recv loops)
import os
import socket
import sys

HOST = os.environ.get("LAB_HOST", "127.0.0.1")
PORT = int(os.environ.get("LAB_PORT", "5000"))
TIMEOUT = float(os.environ.get("LAB_TIMEOUT", "5"))

srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    srv.bind((HOST, PORT))
except OSError as err:
    print(f"[SERVER] Error: cannot listen on {HOST}:{PORT}: {err}", file=sys.stderr)
    sys.exit(1)
srv.listen(1)
print(f"[SERVER] Listening on {HOST}:{srv.getsockname()[1]}", flush=True)
conn, addr = srv.accept()
print(f"[SERVER] Connection from {addr[0]}:{addr[1]}", flush=True)
conn.settimeout(TIMEOUT)
reader = conn.makefile("rb")
try:
    data = reader.read(1024)
except socket.timeout:
    print("[SERVER] Timed out waiting for data", flush=True)
    data = b""
if not data:
    print("[SERVER] Client closed without sending", flush=True)
else:
    text = data.decode("utf-8", errors="replace").strip()
    print(f"[SERVER] Received: {text}", flush=True)
    try:
        conn.sendall(f"ACK: {text}".encode("utf-8"))
    except OSError:
        pass
reader.close()
conn.close()
srv.close()
