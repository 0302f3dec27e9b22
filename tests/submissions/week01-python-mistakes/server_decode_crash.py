"""One-shot server, correct except for one thing: data.decode() unguarded.

MISTAKE(invalid-utf8): the bytes a client sends are not always text. Bytes
that are not UTF-8 make data.decode() raise UnicodeDecodeError; nothing
catches it, so the server dies with a traceback (exit 1) and the client gets
no reply -- only the connection closing when the process ends.
The fix: try/except UnicodeDecodeError, reply "ERROR: Invalid UTF-8".
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
        data = None
    if data is not None and not data:
        print(f"[SERVER] Client {peer_host}:{peer_port} closed without sending", flush=True)
    elif data:
        message = data.decode().strip()  # MISTAKE(invalid-utf8): raises on bytes that are not UTF-8
        print(f"[SERVER] Received: {message.encode('unicode_escape').decode()}", flush=True)
        reply = answer(message)
        conn.sendall(reply.encode("utf-8"))
        print(f"[SERVER] Sent: {reply.encode('unicode_escape').decode()}", flush=True)
    conn.close()
    print("[SERVER] Closed connection", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
