# Helpdesk chat client
# Sends all the messages first (faster!), then reads the answers.
import os
import socket
import sys

HOST = os.getenv("LAB_HOST", "127.0.0.1")
PORT = int(os.getenv("LAB_PORT", "5000"))

messages = sys.argv[1:]
if not messages:
    messages = ["Hello, can you help?", "I have a problem with my account", "Thank you, goodbye"]

print(f"[CLIENT] Connecting to {HOST}:{PORT}")
sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
sock.settimeout(5)
sock.connect((HOST, PORT))

for m in messages:
    sock.sendall((m + "\n").encode())

for m in messages:
    try:
        reply = sock.recv(1024).decode()
    except socket.timeout:
        print("[CLIENT] Server took too long")
        break
    print(f"[CLIENT] {reply.strip()}")

sock.close()
