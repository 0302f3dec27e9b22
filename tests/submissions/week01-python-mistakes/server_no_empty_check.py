"""One-shot server, correct except for one thing: no `if not data` check.

MISTAKE(empty-recv): recv() returns b"" when the client closed without
sending anything -- that is not a message, it is the end of the connection.
This server decodes b"" like any message: it prints "Received: " (nothing),
"answers" the client that is already gone with "ERROR: Empty message", and
never says the client closed without sending. (In a `while True: recv()`
loop the same mistake spins forever at 100% CPU.)
The fix: `if not data:` right after recv(), before anything else.
"""

import os
import socket
import sys

HOST = os.environ.get("LAB_HOST", "127.0.0.1")
PORT = int(os.environ.get("LAB_PORT", "5000"))
BUFFER_SIZE = int(os.environ.get("LAB_BUFFER_SIZE", "1024"))
TIMEOUT = float(os.environ.get("LAB_TIMEOUT", "5"))


def answer(message):
    if not message:
        return "ERROR: Empty message"
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
    try:
        data = conn.recv(BUFFER_SIZE)
    except socket.timeout:
        print(f"[SERVER] Client {peer_host}:{peer_port} sent nothing within {TIMEOUT:g}s; closing", flush=True)
        conn.close()
        print("[SERVER] Closed connection", flush=True)
        return 0
    # MISTAKE(empty-recv): no `if not data:` here -- b"" is treated as a message.
    try:
        message = data.decode("utf-8").strip()
    except UnicodeDecodeError:
        print(f"[SERVER] Rejected: invalid UTF-8 ({len(data)} bytes)", flush=True)
        reply = "ERROR: Invalid UTF-8"
    else:
        print(f"[SERVER] Received: {message.encode('unicode_escape').decode()}", flush=True)
        reply = answer(message)
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
