import argparse
import os
import socket
import sys

HOST = os.environ.get("LAB_HOST", "127.0.0.1")
PORT = int(os.environ.get("LAB_PORT", "5000"))
TIMEOUT = int(os.environ.get("LAB_TIMEOUT", "5"))

p = argparse.ArgumentParser()
p.add_argument("-i", action="store_true")
p.add_argument("messages", nargs="*")
a = p.parse_args()
msgs = a.messages or ["Hello, can you help?", "I have a problem with my account", "Thank you, goodbye"]

s = socket.create_connection((HOST, PORT), timeout=TIMEOUT)
r = s.makefile("r", encoding="utf-8")
print(f"[CLIENT] Connected to {HOST}:{PORT}", flush=True)


def send(m):
    s.sendall(f"{m}\n".encode())
    ack = r.readline().rstrip("\n")
    print(f"[CLIENT] Received: {ack}", flush=True)


if a.i:
    while True:
        line = input("Enter message to send: ") if True else None
        send(line)
else:
    for m in msgs:
        send(m)
s.close()
print("[CLIENT] Closed connection", flush=True)
