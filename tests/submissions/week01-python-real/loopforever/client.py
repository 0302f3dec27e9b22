import os
import socket
import sys

HOST = os.environ.get("LAB_HOST", "127.0.0.1")
PORT = int(os.environ.get("LAB_PORT", "5000"))
TIMEOUT = float(os.environ.get("LAB_TIMEOUT", "5"))

if len(sys.argv) > 1:
    msg = sys.argv[1]
else:
    msg = input("Message to send: ") or "Hello Server"
if not msg.strip():
    print("[CLIENT] Error: the message is empty", file=sys.stderr)
    sys.exit(2)

try:
    s = socket.create_connection((HOST, PORT), timeout=TIMEOUT)
    print(f"[CLIENT] Connected to {HOST}:{PORT}", flush=True)
    print(f"[CLIENT] Sending: {msg}", flush=True)
    s.sendall(msg.encode())
    data = s.recv(1024)
    if not data:
        print("[CLIENT] Error: the server closed the connection without replying", file=sys.stderr)
        sys.exit(1)
    print(f"[CLIENT] Received: {data.decode()}", flush=True)
    s.close()
    print("[CLIENT] Closed connection", flush=True)
except ConnectionRefusedError:
    print(f"[CLIENT] Error: could not connect to {HOST}:{PORT}: connection refused (is the server running?)", file=sys.stderr)
    sys.exit(1)
except OSError as e:
    print(f"[CLIENT] Error: {e}", file=sys.stderr)
    sys.exit(1)
