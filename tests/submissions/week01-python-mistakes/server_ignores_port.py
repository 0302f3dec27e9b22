"""One-shot server, correct except for one thing: it never reads LAB_PORT.

MISTAKE(ignores-config): the student read "bind port 0 and the system picks
a free port" and wrote PORT = 0 -- so the server can never be told which
port to use, and a port someone else holds never stops it. Like most real
submissions it also prints without flush=True, so under a grader its
Listening line arrives only at exit: the grader has to find the port it
really listens on in the system's socket table.
The fix: PORT = int(os.environ.get("LAB_PORT", "5000")).
"""

import os
import socket
import sys

HOST = os.environ.get("LAB_HOST", "127.0.0.1")
PORT = 0  # MISTAKE(ignores-config): LAB_PORT is never read
BUFFER_SIZE = int(os.environ.get("LAB_BUFFER_SIZE", "1024"))
TIMEOUT = float(os.environ.get("LAB_TIMEOUT", "5"))


def main():
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        server.bind((HOST, PORT))
        server.listen(16)
    except OSError as error:
        print(f"[SERVER] Error: cannot listen on {HOST}:{PORT}: {error.strerror.lower()}", file=sys.stderr)
        return 1
    host, port = server.getsockname()[:2]
    print(f"[SERVER] Listening on {host}:{port}")
    conn, (peer_host, peer_port) = server.accept()
    server.close()
    print(f"[SERVER] Connection from {peer_host}:{peer_port}")
    conn.settimeout(TIMEOUT)
    try:
        data = conn.recv(BUFFER_SIZE)
    except socket.timeout:
        data = None
    if data:
        message = data.decode("utf-8", "replace").strip()
        print(f"[SERVER] Received: {message.encode('unicode_escape').decode()}")
        reply = f"ACK: {message}" if message else "ERROR: Empty message"
        conn.sendall(reply.encode("utf-8"))
        print(f"[SERVER] Sent: {reply.encode('unicode_escape').decode()}")
    conn.close()
    print("[SERVER] Closed connection")
    return 0


if __name__ == "__main__":
    sys.exit(main())
