"""Week 1 client: send one message, print the server's reply.

usage: python3 client.py [MESSAGE]
"""
import os
import socket
import sys

HOST = os.environ.get("LAB_HOST", "127.0.0.1").strip()
PORT = int(os.environ.get("LAB_PORT", "5000").strip())
TIMEOUT = float(os.environ.get("LAB_TIMEOUT", "5").strip())
BUFFER = int(os.environ.get("LAB_BUFFER_SIZE", "1024").strip())


def fail(text, code=1):
    print(f"[CLIENT] Error: {text}", file=sys.stderr, flush=True)
    sys.exit(code)


def server_is_up():
    """Knock first, so we can give a nice error if nobody is there."""
    try:
        with socket.create_connection((HOST, PORT), timeout=TIMEOUT):
            return True
    except ConnectionRefusedError:
        return False


def main():
    args = sys.argv[1:]
    if len(args) > 1:
        fail(f"unexpected argument '{args[1]}' (put the message in quotes)", 2)
    message = args[0] if args else "Hello Server"
    if message == "":
        fail("the message is empty; nothing sent", 2)
    if not server_is_up():
        fail(f"could not connect to {HOST}:{PORT}: connection refused (is the server running?)")
    sock = socket.create_connection((HOST, PORT), timeout=TIMEOUT)
    print(f"[CLIENT] Connected to {HOST}:{PORT}", flush=True)
    print(f"[CLIENT] Sending: {message}", flush=True)
    sock.sendall(message.encode("utf-8"))
    try:
        reply = sock.recv(BUFFER)
    except socket.timeout:
        print("[CLIENT] Server did not respond in time", file=sys.stderr, flush=True)
        sock.close()
        sys.exit(1)
    except OSError:
        reply = b""  # whatever went wrong, show what we got
    print(f"[CLIENT] Received: {reply.decode('utf-8', 'replace')}", flush=True)
    sock.close()
    print("[CLIENT] Closed connection", flush=True)


if __name__ == "__main__":
    main()
