import os
import socket
import sys

HOST = os.environ.get("LAB_HOST", "127.0.0.1")
PORT = int(os.environ.get("LAB_PORT", "5000"))

if len(sys.argv) > 1 and sys.argv[1] == "":
    print("[CLIENT] Error: empty message", file=sys.stderr)
    sys.exit(2)
message = " ".join(sys.argv[1:]) or "Hello Server"
sock = socket.socket()
sock.settimeout(5)
try:
    sock.connect((HOST, PORT))
except ConnectionRefusedError:
    print(f"[CLIENT] Error: could not connect to {HOST}:{PORT}: connection refused (is the server running?)", file=sys.stderr)
    sys.exit(1)
print(f"[CLIENT] Connected to {HOST}:{PORT}", flush=True)
print(f"[CLIENT] Sending: {message}", flush=True)
sock.sendall(message.encode())
try:
    answer = sock.recv(1024)
except socket.timeout:
    print("[CLIENT] Server did not respond in time", file=sys.stderr)
    sys.exit(1)
if not answer:
    print("[CLIENT] Error: server closed the connection without replying", flush=True)
    sys.exit(1)
print(f"[CLIENT] Received: {answer.decode()}", flush=True)
sock.close()
print("[CLIENT] Closed connection", flush=True)
