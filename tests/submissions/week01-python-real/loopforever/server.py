import os
import socket
import sys

HOST = os.environ.get("LAB_HOST", "127.0.0.1")
PORT = int(os.environ.get("LAB_PORT", "5000"))
TIMEOUT = float(os.environ.get("LAB_TIMEOUT", "5"))
BUF = int(os.environ.get("LAB_BUFFER_SIZE", "1024"))


def session(conn, addr):
    who = f"{addr[0]}:{addr[1]}"
    conn.settimeout(TIMEOUT)
    try:
        data = conn.recv(BUF)
    except socket.timeout:
        print(f"[SERVER] Client {who} sent nothing within {TIMEOUT:g}s; closing")
        return
    if not data:
        print(f"[SERVER] Client {who} closed without sending")
        return
    try:
        msg = data.decode("utf-8").strip()
    except UnicodeDecodeError:
        print(f"[SERVER] Rejected: invalid UTF-8 ({len(data)} bytes)")
        conn.sendall(b"ERROR: Invalid UTF-8")
        print("[SERVER] Sent: ERROR: Invalid UTF-8")
        return
    print(f"[SERVER] Received: {msg}")
    if not msg:
        reply = "ERROR: Empty message"
    elif len(msg) > 100:
        reply = "ERROR: Message too long"
    else:
        reply = f"ACK: {msg}"
    conn.sendall(reply.encode())
    print(f"[SERVER] Sent: {reply}")


s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind((HOST, PORT))
except OSError as e:
    print(f"[SERVER] Error: cannot listen on {HOST}:{PORT}: address already in use", file=sys.stderr)
    sys.exit(1)
s.listen(5)
print(f"[SERVER] Listening on {HOST}:{s.getsockname()[1]}")
while True:  # serve everybody
    conn, addr = s.accept()
    print(f"[SERVER] Connection from {addr[0]}:{addr[1]}")
    try:
        session(conn, addr)
    finally:
        conn.close()
        print("[SERVER] Closed connection")
