import os
import socket
import sys

HOST = os.environ.get("LAB_HOST", "127.0.0.1")
PORT = int(os.environ.get("LAB_PORT", "5000"))
TIMEOUT = float(os.environ.get("LAB_TIMEOUT", "5"))

message = sys.argv[1] if len(sys.argv) > 1 else "Hello Server"
if message == "":
    print("[CLIENT] Error: empty message", file=sys.stderr)
    sys.exit(2)
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
try:
    s.connect((HOST, PORT))
except ConnectionRefusedError:
    print(f"[CLIENT] Error: could not connect to {HOST}:{PORT}: connection refused (is the server running?)", file=sys.stderr)
    sys.exit(1)
print(f"[CLIENT] Connected to {HOST}:{PORT}", flush=True)
print(f"[CLIENT] Sending: {message}", flush=True)
s.sendall(message.encode())
s.settimeout(TIMEOUT)
try:
    data = s.recv(1024)
except socket.timeout:
    print("[CLIENT] Server did not respond in time", file=sys.stderr)
    sys.exit(1)
if not data:
    print("[CLIENT] Error: the server closed without replying", file=sys.stderr)
    sys.exit(1)
print(f"[CLIENT] Received: {data.decode()}", flush=True)
s.close()
print("[CLIENT] Closed connection", flush=True)

# ---- Extension: say goodbye on a second connection ----
bye = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
bye.connect((HOST, PORT))
bye.sendall(b"Bye")
print("[CLIENT] Server says: " + bye.recv(1024).decode(), flush=True)
bye.close()
