"""One-shot server, correct except for one thing: print() without flush.

MISTAKE(stdout-buffered): when stdout is a terminal Python flushes every
line, so this looks fine by hand. When stdout is a pipe (a grader, a script,
`python3 server_no_flush.py | tee log`) Python collects the output in a
buffer and writes it only when the program exits: nobody sees the Listening
line -- or learns the port -- while the server is waiting for its client.
The fix: print(..., flush=True) (PYTHONUNBUFFERED does not count: the
grader removes it).
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
        print(f"[SERVER] Error: cannot listen on {HOST}:{PORT}: {error.strerror.lower()}", file=sys.stderr)
        return 1
    host, port = server.getsockname()[:2]
    print(f"[SERVER] Listening on {host}:{port}")  # MISTAKE(stdout-buffered): no flush=True
    conn, (peer_host, peer_port) = server.accept()
    server.close()
    print(f"[SERVER] Connection from {peer_host}:{peer_port}")
    conn.settimeout(TIMEOUT)
    try:
        data = conn.recv(BUFFER_SIZE)
    except socket.timeout:
        print(f"[SERVER] Client {peer_host}:{peer_port} sent nothing within {TIMEOUT:g}s; closing")
        data = None
    if data is not None and not data:
        print(f"[SERVER] Client {peer_host}:{peer_port} closed without sending")
    elif data:
        try:
            message = data.decode("utf-8").strip()
        except UnicodeDecodeError:
            print(f"[SERVER] Rejected: invalid UTF-8 ({len(data)} bytes)")
            reply = "ERROR: Invalid UTF-8"
        else:
            print(f"[SERVER] Received: {message.encode('unicode_escape').decode()}")
            reply = answer(message)
        conn.sendall(reply.encode("utf-8"))
        print(f"[SERVER] Sent: {reply.encode('unicode_escape').decode()}")
    conn.close()
    print("[SERVER] Closed connection")
    return 0


if __name__ == "__main__":
    sys.exit(main())
