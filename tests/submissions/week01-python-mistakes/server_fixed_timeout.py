"""One-shot server, correct except for one thing: its own read timeout.

MISTAKE(ignores-config): the read timeout is a number written in the code
(3 seconds, "plenty on localhost"), not LAB_TIMEOUT. With LAB_TIMEOUT=1 it
closes a silent client after 3 s, within the grader's slack, so only a
second run with another LAB_TIMEOUT shows it: it closes after 3 s again.
The fix: conn.settimeout(TIMEOUT), TIMEOUT read from LAB_TIMEOUT.
"""

import os
import socket
import sys

HOST = os.environ.get("LAB_HOST", "127.0.0.1")
PORT = int(os.environ.get("LAB_PORT", "5000"))
BUFFER_SIZE = int(os.environ.get("LAB_BUFFER_SIZE", "1024"))
WAIT_FOR_DATA = 3  # MISTAKE(ignores-config): seconds, hard-coded


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
    conn.settimeout(WAIT_FOR_DATA)
    try:
        data = conn.recv(BUFFER_SIZE)
    except socket.timeout:
        print(f"[SERVER] Client {peer_host}:{peer_port} sent nothing within {WAIT_FOR_DATA}s; closing", flush=True)
        conn.close()
        print("[SERVER] Closed connection", flush=True)
        return 0
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
