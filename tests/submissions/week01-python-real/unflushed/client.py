# Lab 1 client. Timeout: 5 seconds like the handout says.
import os
import socket
import sys

HOST = os.environ.get("LAB_HOST", "127.0.0.1")
PORT = int(os.environ.get("LAB_PORT", "5000"))
BUF = int(os.environ.get("LAB_BUFFER_SIZE", "1024"))

message = sys.argv[1] if len(sys.argv) > 1 else "Hello Server"
if message == "":
    print("[CLIENT] Error: the message is empty", file=sys.stderr)
    sys.exit(2)

s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
try:
    s.connect((HOST, PORT))
except ConnectionRefusedError:
    print(f"[CLIENT] Error: could not connect to {HOST}:{PORT}: connection refused (is the server running?)", file=sys.stderr)
    sys.exit(1)
print(f"[CLIENT] Connected to {HOST}:{PORT}")
print(f"[CLIENT] Sending: {message}")
s.sendall(message.encode())
s.settimeout(5)
try:
    data = s.recv(BUF)
    if not data:
        print("[CLIENT] Error: server closed the connection without replying", file=sys.stderr)
        sys.exit(1)
    print(f"[CLIENT] Received: {data.decode()}")
except socket.timeout:
    print("[CLIENT] Server did not respond in time")
s.close()
print("[CLIENT] Closed connection")
