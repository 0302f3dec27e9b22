# Lab 1 client
import os
import socket
import sys

HOST = os.environ.get("LAB_HOST", "127.0.0.1")
PORT = int(os.environ.get("LAB_PORT", "5000"))
BUFFER = int(os.environ.get("LAB_BUFFER_SIZE", "1024"))
# timeout in milliseconds, like in the Java lab
TIMEOUT_MS = int(os.environ.get("LAB_TIMEOUT", "5000"))

args = sys.argv[1:]
if len(args) > 1:
    print(f"[CLIENT] Error: too many arguments, put the message in quotes", file=sys.stderr)
    sys.exit(2)
message = args[0] if args else "Hello Server"
if message == "":
    print("[CLIENT] Error: empty message", file=sys.stderr)
    sys.exit(2)

try:
    sock = socket.create_connection((HOST, PORT))
except ConnectionRefusedError:
    print(f"[CLIENT] Error: could not connect to {HOST}:{PORT}: connection refused", file=sys.stderr)
    sys.exit(1)
print(f"[CLIENT] Connected to {HOST}:{PORT}", flush=True)
print(f"[CLIENT] Sending: {message}", flush=True)
sock.sendall(message.encode())
sock.settimeout(TIMEOUT_MS / 1000)
try:
    data = sock.recv(BUFFER)
except socket.timeout:
    print("[CLIENT] Server did not respond in time", file=sys.stderr)
    sys.exit(1)
if not data:
    print("[CLIENT] Server closed the connection without replying", file=sys.stderr)
    sys.exit(1)
print(f"[CLIENT] Received: {data.decode()}", flush=True)
sock.close()
print("[CLIENT] Closed connection", flush=True)
