import os
import socket
import sys

import metrics

HOST = os.environ.get("LAB_HOST", "127.0.0.1")
PORT = int(os.environ.get("LAB_PORT", "5000"))
TIMEOUT = int(os.environ.get("LAB_TIMEOUT", "5"))


def main():
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        srv.bind((HOST, PORT))
        srv.listen()
    except OSError as e:
        print(f"[SERVER] Error: cannot listen on {HOST}:{PORT}: {e.strerror.lower()}", file=sys.stderr, flush=True)
        return 1
    print(f"[SERVER] Listening on {HOST}:{srv.getsockname()[1]}", flush=True)
    conn, (ip, port) = srv.accept()
    srv.close()
    print(f"[SERVER] Connection from {ip}:{port}", flush=True)
    conn.settimeout(TIMEOUT)
    try:
        data = conn.recv(1024)
    except socket.timeout:
        print(f"[SERVER] Client {ip}:{port} sent nothing within {TIMEOUT}s; closing", flush=True)
        conn.close()
        return 0
    if not data:
        print(f"[SERVER] Client {ip}:{port} closed without sending", flush=True)
        conn.close()
        return 0
    try:
        text = data.decode("utf-8").strip()
    except UnicodeDecodeError:
        text = None
    if text is None:
        reply = "ERROR: Invalid UTF-8"
    elif not text:
        reply = "ERROR: Empty message"
    elif len(text) > 100:
        reply = "ERROR: Message too long"
    else:
        reply = f"ACK: {text}"
        metrics.STATS["messages"] += 1
    print(f"[SERVER] Received: {text}", flush=True)
    conn.sendall(reply.encode())
    print(f"[SERVER] Sent: {reply}", flush=True)
    conn.close()
    print("[SERVER] Closed connection", flush=True)
    return 0


sys.exit(main())
