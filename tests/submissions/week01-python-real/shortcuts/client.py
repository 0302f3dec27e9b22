# Lab 1 client
import os
import socket
import sys

HOST = os.environ.get("LAB_HOST", "127.0.0.1").strip()
PORT = int(os.environ.get("LAB_PORT", "5000"))
BUFFER = int(os.environ.get("LAB_BUFFER_SIZE", "1024"))
TIMEOUT = int(os.environ.get("LAB_TIMEOUT", "5"))

args = sys.argv[1:]
if len(args) > 1:
    print(f"[CLIENT] Error: too many arguments ({args[1]!r}); put the message in quotes", file=sys.stderr)
    sys.exit(2)
message = args[0] if args else "Hello Server"
if message == "":
    print("[CLIENT] Error: the message is empty", file=sys.stderr)
    sys.exit(2)

sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
sock.settimeout(TIMEOUT)
try:
    sock.connect((HOST, PORT))
except ConnectionRefusedError:
    print(f"[CLIENT] Error: could not connect to {HOST}:{PORT}: connection refused", file=sys.stderr)
    sys.exit(1)
except socket.timeout:
    print(f"[CLIENT] Error: no reply within {TIMEOUT}s", file=sys.stderr)
    sys.exit(1)
print(f"[CLIENT] Connected to {HOST}:{PORT}", flush=True)
sock.sendall(message.encode())
print(f"[CLIENT] Sent: {message}", flush=True)
try:
    data = sock.recv(BUFFER)
except socket.timeout:
    print(f"[CLIENT] Error: no reply within {TIMEOUT}s", file=sys.stderr)
    sys.exit(1)
except ConnectionResetError:
    print("[CLIENT] Error: the server reset the connection", file=sys.stderr)
    sys.exit(1)
if not data:
    print("[CLIENT] Error: the server closed the connection without replying", file=sys.stderr)
    sys.exit(1)
reply = data.decode(errors="replace")
if reply.startswith("ERROR"):
    print(f"[CLIENT] Received: {reply}", flush=True)
else:
    # the server always answers ACK: + the message
    print(f"[CLIENT] Received: ACK: {message}", flush=True)
sock.close()
print("[CLIENT] Closed connection", flush=True)
