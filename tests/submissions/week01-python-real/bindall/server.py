import os
import socket
import sys

PORT = int(os.environ.get("LAB_PORT", 5000))
TIMEOUT = float(os.environ.get("LAB_TIMEOUT", 5))
BUF = int(os.environ.get("LAB_BUFFER_SIZE", 1024))


def log(x):
    print(x, flush=True)


def main():
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(("", PORT))  # all interfaces
    except OSError as e:
        print(f"[SERVER] Error: cannot listen on 127.0.0.1:{PORT}: address already in use", file=sys.stderr)
        return 1
    sock.listen(5)
    host, port = sock.getsockname()
    log(f"[SERVER] Listening on {host}:{port}")
    conn, addr = sock.accept()
    sock.close()
    who = f"{addr[0]}:{addr[1]}"
    log(f"[SERVER] Connection from {who}")
    conn.settimeout(TIMEOUT)
    try:
        data = conn.recv(BUF)
    except socket.timeout:
        log(f"[SERVER] Client {who} sent nothing within {TIMEOUT:g}s; closing")
        conn.close()
        return 0
    if not data:
        log(f"[SERVER] Client {who} closed without sending")
        conn.close()
        return 0
    try:
        text = data.decode().strip()
        log(f"[SERVER] Received: {text}")
        if not text:
            reply = "ERROR: Empty message"
        elif len(text) > 100:
            reply = "ERROR: Message too long"
        else:
            reply = "ACK: " + text
    except UnicodeDecodeError:
        log(f"[SERVER] Rejected: invalid UTF-8 ({len(data)} bytes)")
        reply = "ERROR: Invalid UTF-8"
    conn.sendall(reply.encode())
    log(f"[SERVER] Sent: {reply}")
    conn.close()
    log("[SERVER] Closed connection")
    return 0


sys.exit(main())
