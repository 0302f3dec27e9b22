"""One-shot server in a hurry: it binds every address, and its prints are
not flushed.

Two mistakes at once (blind round 31): `bind(("", PORT))` listens on
every address of the machine while the Listening line names LAB_HOST
(127.0.0.1), and print() without flush holds every line in a buffer while
stdout is a pipe. The line check names the buffer; the address must not
hide behind it (server-config names it from the socket table).
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
        server.bind(("", PORT))  # every address
        server.listen(16)
    except OSError as error:
        print(f"[SERVER] Error: cannot listen on {HOST}:{PORT}: {error.strerror.lower()}", file=sys.stderr)
        return 1
    port = server.getsockname()[1]
    print(f"[SERVER] Listening on {HOST}:{port}")
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
