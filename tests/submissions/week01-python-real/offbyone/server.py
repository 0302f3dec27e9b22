# lab1 server (extension B done)
import os
import socket
import sys

host = os.environ.get("LAB_HOST", "127.0.0.1")
port = int(os.environ.get("LAB_PORT", "5000"))
MAX_LEN = 100


def answer(raw):
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return "ERROR: Invalid UTF-8"
    text = text.strip()
    if not text:
        return "ERROR: Empty message"
    # TODO ask TA: is 100 allowed??
    if len(text) >= MAX_LEN:
        return "ERROR: Message too long"
    return "ACK: " + text


srv = socket.socket()
try:
    srv.bind((host, port))
except OSError:
    print(f"[SERVER] Error: cannot listen on {host}:{port}: address already in use",
          file=sys.stderr, flush=True)
    sys.exit(1)
srv.listen(1)
print(f"[SERVER] Listening on {host}:{srv.getsockname()[1]}", flush=True)

conn, (peer_ip, peer_port) = srv.accept()
print(f"[SERVER] Connection from {peer_ip}:{peer_port}", flush=True)
conn.settimeout(float(os.environ.get("LAB_TIMEOUT", "10")))
try:
    raw = conn.recv(1024)
except socket.timeout:
    print("[SERVER] Client sent nothing, closing", flush=True)
    raw = None
if raw == b"":
    print("[SERVER] Client closed the connection without sending", flush=True)
elif raw is not None:
    print(f"[SERVER] Received: {raw.decode('utf-8', 'replace').strip()}", flush=True)
    reply = answer(raw)
    conn.sendall(reply.encode("utf-8"))
    print(f"[SERVER] Sent: {reply}", flush=True)
conn.close()
print("[SERVER] Closed connection", flush=True)
srv.close()
