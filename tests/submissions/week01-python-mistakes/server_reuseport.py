"""One-shot server, correct except for the socket option it sets.

MISTAKE(port-in-use): SO_REUSEPORT where SO_REUSEADDR is meant (both
"let a restart reuse the port"). Against another user's socket the bind
still fails, but a second copy of this server, started while the first
listens, binds the same port and listens beside it: the kernel shares the
clients out between them, and nobody is told the port was in use.
The fix: SO_REUSEADDR.
"""

import os
import signal
import socket
import sys

HOST = os.environ.get("LAB_HOST", "127.0.0.1")
PORT = int(os.environ.get("LAB_PORT", "5000"))
BUFFER_SIZE = int(os.environ.get("LAB_BUFFER_SIZE", "1024"))
TIMEOUT = float(os.environ.get("LAB_TIMEOUT", "5"))
LIMIT = 100


def log(line):
    print(line, flush=True)


def answer(message):
    if not message:
        return "ERROR: Empty message"
    if len(message) > LIMIT:
        return "ERROR: Message too long"
    return f"ACK: {message}"


def serve(conn, peer):
    conn.settimeout(TIMEOUT)
    try:
        data = conn.recv(BUFFER_SIZE)
    except socket.timeout:
        log(f"[SERVER] Client {peer} sent nothing within {TIMEOUT:g}s; closing")
        return
    if not data:
        log(f"[SERVER] Client {peer} closed without sending")
        return
    try:
        message = data.decode("utf-8").strip()
    except UnicodeDecodeError:
        log(f"[SERVER] Rejected: invalid UTF-8 ({len(data)} bytes)")
        reply = "ERROR: Invalid UTF-8"
    else:
        log(f"[SERVER] Received: {message.encode('unicode_escape').decode()}")
        reply = answer(message)
    conn.sendall(reply.encode("utf-8"))
    log(f"[SERVER] Sent: {reply.encode('unicode_escape').decode()}")


def main():
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)  # MISTAKE(port-in-use)
    try:
        listener.bind((HOST, PORT))
        listener.listen(16)
    except OSError as error:
        print(f"[SERVER] Error: cannot listen on {HOST}:{PORT}: {error.strerror.lower()}", file=sys.stderr)
        return 1
    host, port = listener.getsockname()[:2]
    log(f"[SERVER] Listening on {host}:{port}")
    try:
        conn, (peer_host, peer_port) = listener.accept()
    except KeyboardInterrupt:
        log("[SERVER] Shutting down")
        return 0
    finally:
        listener.close()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    peer = f"{peer_host}:{peer_port}"
    log(f"[SERVER] Connection from {peer}")
    try:
        serve(conn, peer)
    except OSError as error:
        print(f"[SERVER] Error: {error.strerror or error}", file=sys.stderr)
    finally:
        conn.close()
        log("[SERVER] Closed connection")
    return 0


if __name__ == "__main__":
    sys.exit(main())
