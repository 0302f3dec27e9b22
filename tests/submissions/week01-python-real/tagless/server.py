import os
import socket
import sys

HOST = os.environ.get("LAB_HOST", "127.0.0.1")
PORT = int(os.environ.get("LAB_PORT", "5000"))

s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind((HOST, PORT))
except OSError as e:
    sys.exit(f"[SERVER] Error: cannot listen on {HOST}:{PORT}: {e}")
s.listen()
print(f"[SERVER] Listening on {s.getsockname()}", flush=True)
conn, addr = s.accept()
print(f"[SERVER] Connection from {addr[0]}:{addr[1]}", flush=True)
conn.settimeout(0.5)  # half a second is plenty on localhost
try:
    data = conn.recv(1024)
except socket.timeout:
    print(f"[SERVER] Client {addr[0]}:{addr[1]} sent nothing; closing", flush=True)
    conn.close()
    sys.exit(0)
if not data:
    print(f"[SERVER] Client {addr[0]}:{addr[1]} closed without sending", flush=True)
    conn.close()
    sys.exit(0)
msg = data.decode(errors="ignore").strip()
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
