# Lab 1 server (one client, then exit)
import os
import socket
import sys
import time

HOST = os.environ.get("LAB_HOST", "127.0.0.1")
PORT = int(os.environ.get("LAB_PORT", "5000"))
BUFFER = int(os.environ.get("LAB_BUFFER_SIZE", "1024"))
TIMEOUT = float(os.environ.get("LAB_TIMEOUT", "5"))

server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    server.bind((HOST, PORT))
    server.listen(5)
except OSError as e:
    print(f"[SERVER] Error: cannot listen on {HOST}:{PORT}: address already in use", file=sys.stderr)
    sys.exit(1)
print(f"[SERVER] Listening on {HOST}:{server.getsockname()[1]}", flush=True)
conn, addr = server.accept()
peer = f"{addr[0]}:{addr[1]}"
print(f"[SERVER] Connection from {peer}", flush=True)
conn.settimeout(TIMEOUT)
try:
    data = conn.recv(BUFFER)
except socket.timeout:
    print(f"[SERVER] Client {peer} sent nothing within {TIMEOUT:g}s; closing", flush=True)
    conn.close()
    sys.exit(0)
if not data:
    print(f"[SERVER] Client {peer} closed without sending", flush=True)
    conn.close()
    sys.exit(0)
try:
    text = data.decode("utf-8").strip()
except UnicodeDecodeError:
    text = None
if text is None:
    print(f"[SERVER] Rejected: invalid UTF-8 ({len(data)} bytes)", flush=True)
    reply = "ERROR: Invalid UTF-8"
else:
    print(f"[SERVER] Received: {text}", flush=True)
    if text == "":
        reply = "ERROR: Empty message"
    elif len(text) > 100:
        reply = "ERROR: Message too long"
    else:
        reply = "ACK: " + text
time.sleep(0.3)  # pretend the server is busy working on it
conn.sendall(reply.encode())
print(f"[SERVER] Sent: {reply}", flush=True)
conn.close()
print("[SERVER] Closed connection", flush=True)
