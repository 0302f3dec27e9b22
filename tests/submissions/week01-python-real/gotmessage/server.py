"""One-shot server in the student's own words, with a line end after each
reply (blind round 31's Node server, in Python).

Two mistakes: every reply ends in "\n" (wrong-reply: the contract's reply
is the text exactly), and the session's lines are worded its own way
(`Got message:`, `Sent reply:`). The lines are judged once the reply is
right, so server-ack says the wording beside the wrong reply instead of
leaving it for the next run.
"""

import os
import socket
import sys

HOST = os.environ.get("LAB_HOST", "127.0.0.1")
PORT = int(os.environ.get("LAB_PORT", "5000"))
BUFFER_SIZE = int(os.environ.get("LAB_BUFFER_SIZE", "1024"))
TIMEOUT = float(os.environ.get("LAB_TIMEOUT", "5"))


def answer(data):
    try:
        message = data.decode("utf-8").strip()
    except UnicodeDecodeError:
        return "ERROR: Invalid UTF-8"
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
        print(f"[SERVER] Error: cannot listen on {HOST}:{PORT}: {error.strerror.lower()}", file=sys.stderr)
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
        data = None
    if data:
        text = data.decode("utf-8", "replace").strip()
        print(f"[SERVER] Got message: {text.encode('unicode_escape').decode()}", flush=True)
        reply = answer(data)
        conn.sendall((reply + "\n").encode("utf-8"))
        print(f"[SERVER] Sent reply: {reply.encode('unicode_escape').decode()}", flush=True)
    conn.close()
    print("[SERVER] Closed connection", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
