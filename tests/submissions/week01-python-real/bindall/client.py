import os
import socket
import sys

HOST = os.environ.get("LAB_HOST", "127.0.0.1")
PORT = int(os.environ.get("LAB_PORT", 5000))
TIMEOUT = float(os.environ.get("LAB_TIMEOUT", 5))

msg = sys.argv[1] if len(sys.argv) > 1 else "Hello Server"
if not msg:
    print("[CLIENT] Error: message is empty", file=sys.stderr)
    sys.exit(2)
s = socket.socket()
s.settimeout(TIMEOUT)
try:
    s.connect((HOST, PORT))
except ConnectionRefusedError:
    print(f"[CLIENT] Error: could not connect to {HOST}:{PORT}: connection refused (is the server running?)", file=sys.stderr)
    sys.exit(1)
print(f"[CLIENT] Connected to {HOST}:{PORT}", flush=True)
print(f"[CLIENT] Sending: {msg}", flush=True)
s.sendall((msg + "\n").encode())  # newline so the server knows the message ended
try:
    data = s.recv(1024)
except socket.timeout:
    print("[CLIENT] Server did not respond in time", file=sys.stderr)
    sys.exit(1)
if not data:
    print("[CLIENT] Error: server closed without replying", file=sys.stderr)
    sys.exit(1)
print(f"[CLIENT] Received: {data.decode()}", flush=True)
s.close()
print("[CLIENT] Closed connection", flush=True)
