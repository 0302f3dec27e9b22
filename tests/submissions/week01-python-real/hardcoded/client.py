import socket
import sys

msg = sys.argv[1] if len(sys.argv) > 1 else "Hello Server"
s = socket.socket()
s.settimeout(5)
try:
    s.connect(("localhost", 5000))
except ConnectionRefusedError:
    print("[CLIENT] Error: could not connect to 127.0.0.1:5000: connection refused (is the server running?)", file=sys.stderr)
    sys.exit(1)
print("[CLIENT] Connected to 127.0.0.1:5000", flush=True)
print(f"[CLIENT] Sending: {msg}", flush=True)
s.sendall(msg.encode())
try:
    r = s.recv(1024)
except socket.timeout:
    print("[CLIENT] Server did not respond in time", file=sys.stderr)
    sys.exit(1)
print(f"[CLIENT] Received: {r.decode()}", flush=True)
s.close()
print("[CLIENT] Closed connection", flush=True)
