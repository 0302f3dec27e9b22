"""Client, correct except for one thing: its own reply timeout.

MISTAKE(ignores-config): the timeout on the reply is a number written in the
code (2 seconds), not LAB_TIMEOUT. With LAB_TIMEOUT=1 it gives up after 2 s,
within the grader's slack, so only a second run with another LAB_TIMEOUT
shows it: it gives up after 2 s again.
The fix: sock.settimeout(TIMEOUT), TIMEOUT read from LAB_TIMEOUT.
"""

import os
import socket
import sys

HOST = os.environ.get("LAB_HOST", "127.0.0.1")
PORT = int(os.environ.get("LAB_PORT", "5000"))
BUFFER_SIZE = int(os.environ.get("LAB_BUFFER_SIZE", "1024"))


def main(argv):
    if len(argv) > 1:
        print("[CLIENT] Error: one MESSAGE at most (put a message with spaces in quotes)", file=sys.stderr, flush=True)
        return 2
    message = argv[0] if argv else "Hello Server"
    if message == "":
        print("[CLIENT] Error: the message is empty; nothing sent", file=sys.stderr, flush=True)
        return 2
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.connect((HOST, PORT))
    except ConnectionRefusedError:
        print(f"[CLIENT] Error: could not connect to {HOST}:{PORT}: connection refused (is the server running?)",
              file=sys.stderr, flush=True)
        return 1
    except OSError as error:
        print(f"[CLIENT] Error: could not connect to {HOST}:{PORT}: {error}", file=sys.stderr, flush=True)
        return 1
    print(f"[CLIENT] Connected to {HOST}:{PORT}", flush=True)
    print(f"[CLIENT] Sending: {message}", flush=True)
    sock.sendall(message.encode("utf-8"))
    sock.settimeout(2.0)  # MISTAKE(ignores-config): not LAB_TIMEOUT
    try:
        reply = sock.recv(BUFFER_SIZE)
    except socket.timeout:
        print("[CLIENT] Server did not respond in time", file=sys.stderr, flush=True)
        return 1
    if not reply:
        print("[CLIENT] Error: the server closed the connection without replying", file=sys.stderr, flush=True)
        return 1
    print(f"[CLIENT] Received: {reply.decode('utf-8', errors='replace')}", flush=True)
    sock.close()
    print("[CLIENT] Closed connection", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
