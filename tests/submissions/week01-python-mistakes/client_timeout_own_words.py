"""Client, correct except for one thing: how it tells of its timeout.

MISTAKE(output-format): when the server does not reply within LAB_TIMEOUT,
it gives up on time but says so in its own words, on stdout, and exits 0,
as if all went well. The grader named it client-timeout ("does not time
out") and did not show the line (blind round 13).
The fix: `[CLIENT] Server did not respond in time` on stderr, exit 1.
"""

import os
import socket
import sys

HOST = os.environ.get("LAB_HOST", "127.0.0.1")
PORT = int(os.environ.get("LAB_PORT", "5000"))
BUFFER_SIZE = int(os.environ.get("LAB_BUFFER_SIZE", "1024"))
TIMEOUT = int(os.environ.get("LAB_TIMEOUT", "5"))


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
    sock.settimeout(TIMEOUT)
    try:
        reply = sock.recv(BUFFER_SIZE)
    except socket.timeout:
        print("[CLIENT] Timed out waiting for the server", flush=True)  # MISTAKE(output-format)
        return 0
    if not reply:
        print("[CLIENT] Error: the server closed the connection without replying", file=sys.stderr, flush=True)
        return 1
    print(f"[CLIENT] Received: {reply.decode('utf-8', errors='replace')}", flush=True)
    sock.close()
    print("[CLIENT] Closed connection", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
