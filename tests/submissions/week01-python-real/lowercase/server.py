# Lab 1 server - my version
import os
import socket
import sys

HOST = os.getenv("LAB_HOST", "127.0.0.1")
PORT = int(os.getenv("LAB_PORT", 5000))

s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind((HOST, PORT))
except OSError as e:
    # error message for the user
    print(f"[SERVER] Error: cannot listen on {HOST}:{PORT}: address already in use", flush=True)
    sys.exit(0)
s.listen(5)
print(f"[server] listening on {HOST}:{s.getsockname()[1]}", flush=True)

conn, addr = s.accept()
print(f"[SERVER] Connection from {addr}", flush=True)
data = conn.recv(1024)
msg = data.decode().strip()
print(f"[SERVER] Received: {msg}", flush=True)
if msg == "":
    reply = "ERROR: Empty message"
elif len(data) > 100:
    reply = "ERROR: Message too long"
else:
    reply = "ACK: " + msg
conn.sendall(reply.encode())
print(f"[SERVER] Sent {reply}", flush=True)
conn.close()
print("[SERVER] Closed connection", flush=True)
s.close()
