import os
import socket
import sys
import time

HOST = os.environ.get("LAB_HOST", "127.0.0.1")
PORT = int(os.environ.get("LAB_PORT", "5000"))
TIMEOUT = float(os.environ.get("LAB_TIMEOUT", "5"))


def load_banned_words():
    # pretend this reads a big file
    time.sleep(2)
    return {"spam"}


s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind((HOST, PORT))
except OSError:
    print(f"[SERVER] Error: cannot listen on {HOST}:{PORT}: address already in use", file=sys.stderr, flush=True)
    sys.exit(1)
s.listen()
banned = load_banned_words()
print(f"[SERVER] Listening on {HOST}:{s.getsockname()[1]}", flush=True)
conn, (ip, port) = s.accept()
who = f"{ip}:{port}"
print(f"[SERVER] Connection from {who}", flush=True)
conn.settimeout(TIMEOUT)
try:
    data = conn.recv(1024)
except socket.timeout:
    print(f"[SERVER] Client {who} sent nothing within {TIMEOUT:g}s; closing", flush=True)
    conn.close()
    sys.exit(0)
if not data:
    print(f"[SERVER] Client {who} closed without sending", flush=True)
    conn.close()
    sys.exit(0)
try:
    msg = data.decode().strip()
except UnicodeDecodeError:
    msg = None
if msg is None:
    print(f"[SERVER] Rejected: invalid UTF-8 ({len(data)} bytes)", flush=True)
    reply = "ERROR: Invalid UTF-8"
else:
    print(f"[SERVER] Received: {msg}", flush=True)
    if not msg:
        reply = "ERROR: Empty message"
    elif len(msg) > 100:
        reply = "ERROR: Message too long"
    else:
        reply = "ACK: " + msg
conn.sendall(reply.encode())
print(f"[SERVER] Sent: {reply}", flush=True)
conn.close()
print("[SERVER] Closed connection", flush=True)
