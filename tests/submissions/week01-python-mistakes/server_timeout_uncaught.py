"""One-shot server, correct except for one thing: its timeout's error.

MISTAKE(crash): the read timeout is LAB_TIMEOUT, as it should be, but the
error the timed-out recv() raises is never caught: the server dies with a
traceback where it should print its `sent nothing` line and exit 0. The
grader named it server-timeout ("waits forever"; blind round 13, a Rust
server's `read(..).unwrap()`).
The fix: catch socket.timeout (TimeoutError) around recv().
"""

import os
import socket
import sys

HOST = os.environ.get("LAB_HOST", "127.0.0.1")
PORT = int(os.environ.get("LAB_PORT", "5000"))
BUFFER_SIZE = int(os.environ.get("LAB_BUFFER_SIZE", "1024"))
TIMEOUT = int(os.environ.get("LAB_TIMEOUT", "5"))


def answer(message):
    if len(message) > 100:
        return "ERROR: Message too long"
    return f"ACK: {message}"


def main():
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        server.bind((HOST, PORT))
        server.listen(16)
    except OSError as error:
        print(f"[SERVER] Error: cannot listen on {HOST}:{PORT}: {error.strerror.lower()}", file=sys.stderr, flush=True)
        return 1
    host, port = server.getsockname()[:2]
    print(f"[SERVER] Listening on {host}:{port}", flush=True)
    conn, (peer_host, peer_port) = server.accept()
    server.close()
    print(f"[SERVER] Connection from {peer_host}:{peer_port}", flush=True)
    conn.settimeout(TIMEOUT)
    data = conn.recv(BUFFER_SIZE)  # MISTAKE(crash): its timeout is never caught
    if not data:
        print(f"[SERVER] Client {peer_host}:{peer_port} closed without sending", flush=True)
        conn.close()
        print("[SERVER] Closed connection", flush=True)
        return 0
    try:
        message = data.decode("utf-8").strip()
    except UnicodeDecodeError:
        print(f"[SERVER] Rejected: invalid UTF-8 ({len(data)} bytes)", flush=True)
        reply = "ERROR: Invalid UTF-8"
    else:
        print(f"[SERVER] Received: {message.encode('unicode_escape').decode()}", flush=True)
        reply = "ERROR: Empty message" if not message.strip() else answer(message)
    try:
        conn.sendall(reply.encode("utf-8"))
        print(f"[SERVER] Sent: {reply.encode('unicode_escape').decode()}", flush=True)
    except OSError as error:
        print(f"[SERVER] Error: send failed: {error}", file=sys.stderr, flush=True)
    conn.close()
    print("[SERVER] Closed connection", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
