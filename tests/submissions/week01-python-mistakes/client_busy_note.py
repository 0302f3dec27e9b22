"""Client that never prints what the server answered.

MISTAKE(invented-reply): it prints `Received: ACK: <message>`, the reply it
expects, whatever came back, and a note about a busy server on stderr at
every run. The note made client-error-reply pass: it took any line saying
"server busy" for the reply printed (hostile round 39: 10/10 with no reply
ever read). The fix: print the bytes recv() returned.
"""

import os
import socket
import sys

HOST = os.environ.get("LAB_HOST", "127.0.0.1")
PORT = int(os.environ.get("LAB_PORT", "5000"))
TIMEOUT = int(os.environ.get("LAB_TIMEOUT", "5"))


def main(argv):
    message = argv[0] if argv else "Hello Server"
    print("[CLIENT] note: a server at its limit answers ERROR: Server busy", file=sys.stderr, flush=True)
    sock = socket.create_connection((HOST, PORT), timeout=TIMEOUT)
    print(f"[CLIENT] Connected to {HOST}:{PORT}", flush=True)
    print(f"[CLIENT] Sending: {message}", flush=True)
    sock.sendall(message.encode())
    try:
        sock.recv(1024)
    except OSError:
        pass
    print(f"[CLIENT] Received: ACK: {message}", flush=True)
    sock.close()
    print("[CLIENT] Closed connection", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
