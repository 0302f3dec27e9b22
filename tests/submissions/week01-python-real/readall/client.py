"""Week 1 client. Sends a message, half-closes (so the server knows the
message is complete), then waits for the reply."""
import os
import socket
import sys

HOST = os.environ.get("LAB_HOST", "127.0.0.1")
PORT = int(os.environ.get("LAB_PORT", "5000"))
TIMEOUT = int(os.environ.get("LAB_TIMEOUT", "5"))
BUF = int(os.environ.get("LAB_BUFFER_SIZE", "1024"))


def fail(text, code=1):
    print(text, file=sys.stderr)
    sys.exit(code)


args = sys.argv[1:]
if len(args) > 1:
    fail('usage: client.py [MESSAGE] (put quotes around a message with spaces)', 2)
message = args[0] if args else "Hello Server"
if message.strip() == "":
    fail("[CLIENT] Error: message is empty", 2)

try:
    s = socket.create_connection((HOST, PORT), timeout=TIMEOUT)
except ConnectionRefusedError:
    fail(f"[CLIENT] Error: could not connect to {HOST}:{PORT}: connection refused (is the server running?)")
except OSError as e:
    fail(f"[CLIENT] Error: could not connect to {HOST}:{PORT}: {e}")

print(f"[CLIENT] Connected to {HOST}:{PORT}", flush=True)
print(f"[CLIENT] Sending: {message}", flush=True)
s.sendall(message.encode())
s.shutdown(socket.SHUT_WR)  # done sending
try:
    reply = s.recv(BUF)
except socket.timeout:
    fail("[CLIENT] Server did not respond in time")
if not reply:
    fail("[CLIENT] Error: server closed without replying")
print(f"[CLIENT] Received: {reply.decode(errors='replace')}", flush=True)
s.close()
print("[CLIENT] Closed connection", flush=True)
