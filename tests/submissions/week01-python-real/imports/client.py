import socket
import sys

import config

message = sys.argv[1] if len(sys.argv) > 1 else "Hello Server"
if not message:
    print("[CLIENT] Error: message is empty", file=sys.stderr)
    sys.exit(2)

# check the server is up before the real connection
probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
try:
    probe.connect((config.HOST, config.PORT))
except ConnectionRefusedError:
    print(f"[CLIENT] Error: could not connect to {config.HOST}:{config.PORT}: connection refused (is the server running?)", file=sys.stderr)
    sys.exit(1)
probe.close()

s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.connect((config.HOST, config.PORT))
print(f"[CLIENT] Connected to {config.HOST}:{config.PORT}", flush=True)
print(f"[CLIENT] Sending: {message}", flush=True)
s.sendall(message.encode())
s.settimeout(config.TIMEOUT)
try:
    data = s.recv(config.BUFFER_SIZE)
except socket.timeout:
    print("[CLIENT] Server did not respond in time", file=sys.stderr)
    sys.exit(1)
if not data:
    print("[CLIENT] Error: server closed without replying", file=sys.stderr)
    sys.exit(1)
print(f"[CLIENT] Received: {data.decode()}", flush=True)
s.close()
print("[CLIENT] Closed connection", flush=True)
