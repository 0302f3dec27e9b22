# TCP client for lab 1
import os
import socket
import sys

HOST = os.environ.get("LAB_HOST", "127.0.0.1")
PORT = int(os.environ.get("LAB_PORT", "5000"))
TIMEOUT = int(os.environ.get("LAB_TIMEOUT", "5"))

args = sys.argv[1:]
if len(args) > 1:
    print("[CLIENT] Error: too many arguments, put your message in quotes", file=sys.stderr)
    sys.exit(2)
message = args[0] if args else "Hello Server"
if message.strip() == "":
    print("[CLIENT] Error: the message is empty", file=sys.stderr)
    sys.exit(2)

sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
try:
    sock.connect((HOST, PORT))
except ConnectionRefusedError:
    print(f"[CLIENT] Error: could not connect to {HOST}:{PORT}: connection refused (is the server running?)", file=sys.stderr)
    sys.exit(1)
print("[CLIENT] Connected to server")
print(f"[CLIENT] Sending: {message}")
sock.sendall(message.encode())
sock.settimeout(TIMEOUT)
try:
    data = sock.recv(1024)
except socket.timeout:
    print("[CLIENT] Server did not respond in time", file=sys.stderr)
    sys.exit(1)
if not data:
    print("[CLIENT] Server closed the connection without replying", file=sys.stderr)
    sys.exit(1)
print(f"[CLIENT] Received: {data.decode()}")
sock.close()
print("[CLIENT] Closed connection")
