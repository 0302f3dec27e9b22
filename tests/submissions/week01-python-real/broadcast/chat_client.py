import os
import socket
import sys

HOST = os.environ.get("LAB_HOST", "127.0.0.1")
PORT = int(os.environ.get("LAB_PORT", "5000"))

if len(sys.argv) > 1 and sys.argv[1] == "-i":
    messages = None
elif len(sys.argv) > 1:
    messages = sys.argv[1:]
else:
    messages = ["Hello, can you help?", "I have a problem with my account", "Thank you, goodbye"]

sock = socket.create_connection((HOST, PORT))
print(f"[CLIENT] Connected to {HOST}:{PORT}", flush=True)


def talk(m):
    sock.sendall((m + "\n").encode())
    reply = sock.recv(1024).decode().strip()
    print(f"[CLIENT] Server: {reply}", flush=True)


if messages is None:
    while True:
        try:
            m = input("> ")
        except EOFError:
            break
        talk(m)
else:
    for m in messages:
        talk(m)
sock.close()
print("[CLIENT] Closed connection", flush=True)
