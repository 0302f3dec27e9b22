#!/usr/bin/env python3
# Week 1 client -- with a connectivity check and retries (I had problems
# starting the client before the server in the lab, so it retries a bit).
import os
import socket
import sys
import time

HOST = os.environ.get("LAB_HOST", "127.0.0.1")
PORT = int(os.environ.get("LAB_PORT", "5000"))
TIMEOUT = float(os.environ.get("LAB_TIMEOUT", "5"))
BUFSIZE = int(os.environ.get("LAB_BUFFER_SIZE", "1024"))
RETRIES = 3


def connect():
    last = None
    for attempt in range(RETRIES):
        try:
            return socket.create_connection((HOST, PORT), timeout=TIMEOUT)
        except ConnectionRefusedError as e:
            last = e
            time.sleep(0.3)
    print(f"[CLIENT] Error: could not connect to {HOST}:{PORT}: connection refused (is the server running?)",
          file=sys.stderr)
    sys.exit(1)


def server_alive():
    """Quick health check before the real request."""
    try:
        s = connect()
        s.sendall(b"PING")
        s.recv(BUFSIZE)
        s.close()
        return True
    except OSError:
        return False


def main():
    if len(sys.argv) > 2:
        print("usage: client.py [MESSAGE]", file=sys.stderr)
        return 2
    msg = sys.argv[1] if len(sys.argv) == 2 else "Hello Server"
    if msg == "":
        print("[CLIENT] Error: message is empty", file=sys.stderr)
        return 2
    if not server_alive():
        print("[CLIENT] warning: health check failed, trying anyway", file=sys.stderr)
    s = connect()
    print(f"[CLIENT] Connected to {HOST}:{PORT}", flush=True)
    print(f"[CLIENT] Sending: {msg}", flush=True)
    s.sendall(msg.encode())
    try:
        data = s.recv(BUFSIZE)
    except socket.timeout:
        print("[CLIENT] Server did not respond in time", file=sys.stderr)
        return 1
    if not data:
        print("[CLIENT] Error: server closed without replying", file=sys.stderr)
        return 1
    print(f"[CLIENT] Received: {data.decode()!r}", flush=True)
    s.close()
    print("[CLIENT] Closed connection", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
