import os
import socket
import sys

HOST = os.environ.get("LAB_HOST", "127.0.0.1")
PORT = int(os.environ.get("LAB_PORT", "5000"))
TIMEOUT = float(os.environ.get("LAB_TIMEOUT", "5"))


def serve_one(srv):
    conn, (h, p) = srv.accept()
    print(f"[SERVER] Connection from {h}:{p}", flush=True)
    conn.settimeout(TIMEOUT)
    try:
        data = conn.recv(1024)
    except socket.timeout:
        print("[SERVER] Client sent nothing before the timeout", flush=True)
        conn.close()
        return
    if not data:
        print("[SERVER] Client closed without sending", flush=True)
        conn.close()
        return
    try:
        msg = data.decode()
        print(f"[SERVER] Received: {msg}", flush=True)
        msg = msg.strip()
        if not msg:
            reply = "ERROR: Empty message"
        elif len(msg) > 100:
            reply = "ERROR: Message too long"
        else:
            reply = f"ACK: {msg}"
    except UnicodeDecodeError:
        reply = "ERROR: Invalid UTF-8"
    conn.sendall(reply.encode())
    print(f"[SERVER] Sent: {reply}", flush=True)
    conn.close()
    print("[SERVER] Closed connection", flush=True)


srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    srv.bind((HOST, PORT))
except OSError:
    print(f"[SERVER] Error: cannot listen on {HOST}:{PORT}: address already in use", file=sys.stderr)
    sys.exit(1)
srv.listen(5)
print(f"[SERVER] Listening on {HOST}:{srv.getsockname()[1]}", flush=True)
serve_one(srv)
srv.close()

# ---- Extension A: persistent server (added later) ----
srv2 = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv2.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv2.bind((HOST, PORT))
srv2.listen(5)
while True:
    serve_one(srv2)
