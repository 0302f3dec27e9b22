import socket
import sys

from helpers import HOST, PORT, BUF, TIMEOUT, log

if len(sys.argv) > 2:
    print("[CLIENT] Error: too many arguments, put the message in quotes: client.py \"Hello Server\"",
          file=sys.stderr)
    sys.exit(2)
msg = sys.argv[1] if len(sys.argv) > 1 else "Hello Server"
if not msg:
    print("[CLIENT] Error: message is empty", file=sys.stderr)
    sys.exit(2)

sock = socket.socket()
sock.settimeout(TIMEOUT)
try:
    sock.connect((HOST, PORT))
except ConnectionRefusedError:
    print(f"[CLIENT] Error: could not connect to {HOST}:{PORT}: connection refused (is the server running?)",
          file=sys.stderr)
    sys.exit(1)
log(f"[CLIENT] Connected to {HOST}:{PORT}")
log(f"[CLIENT] Sending: {msg}")
sock.sendall(msg.encode())
try:
    reply = sock.recv(BUF)
except socket.timeout:
    print("[CLIENT] Server did not respond in time", file=sys.stderr)
    sys.exit(1)
if not reply:
    print("[CLIENT] Error: server closed the connection without replying", file=sys.stderr)
    sys.exit(1)
log("[CLIENT] Received:", reply)
sock.close()
log("[CLIENT] Closed connection")
