"""One-shot server, correct except for how it ends a silent client.

MISTAKE(hangs): when LAB_TIMEOUT fires, it closes only its sending side
(shutdown(SHUT_WR): the client gets its FIN) and then waits for the client
to hang up before closing, as Node's socket.end() does. A silent client
never hangs up, so the server never ends. The grader must name the hang
and say it waited on a half-closed connection.
The fix: close the socket when the timeout fires.
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
        # MISTAKE(hangs): say we are done, then wait for the client to hang up.
        conn.shutdown(socket.SHUT_WR)
        conn.settimeout(None)
        conn.recv(1)
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
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
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
