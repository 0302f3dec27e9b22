import socket
import sys

msgs = sys.argv[1:] or ["Hello, can you help?", "I have a problem with my account", "Thank you, goodbye"]
s = socket.create_connection(("127.0.0.1", 5000))
f = s.makefile("r")
print("[CLIENT] Connected to 127.0.0.1:5000", flush=True)
for m in msgs:
    s.sendall((m + "\n").encode())
    print("[CLIENT] " + f.readline().rstrip("\n"), flush=True)
s.close()
print("[CLIENT] Closed connection", flush=True)
