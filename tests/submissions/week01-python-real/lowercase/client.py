import os
import socket
import sys

HOST = os.getenv("LAB_HOST", "127.0.0.1")
PORT = int(os.getenv("LAB_PORT", 5000))

msg = sys.argv[1] if len(sys.argv) > 1 else "Hello Server"

c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
try:
    c.connect((HOST, PORT))
except ConnectionRefusedError:
    print(f"[CLIENT] Error: could not connect to {HOST}:{PORT}: connection refused (is the server running?)", flush=True)
    sys.exit(0)
print(f"[CLIENT] Connected to {HOST}:{PORT}", flush=True)
print(f"[CLIENT] Sending: {msg}", flush=True)
c.sendall(msg.encode())
reply = c.recv(1024).decode()
print(f"[CLIENT] Recieved: {reply}", flush=True)
c.close()
print("[CLIENT] Closed connection", flush=True)
