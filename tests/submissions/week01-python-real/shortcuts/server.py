# Lab 1 server: one client, then exit.
import os
import socket
import sys

HOST = os.environ.get("LAB_HOST", "127.0.0.1").strip()
PORT = int(os.environ.get("LAB_PORT", "5000"))
BUFFER = int(os.environ.get("LAB_BUFFER_SIZE", "1024"))
TIMEOUT = int(os.environ.get("LAB_TIMEOUT", "5"))


def show(text):
    out = ""
    for ch in text:
        if ch == "\\":
            out += "\\\\"
        elif ch == "\n":
            out += "\\n"
        elif ch == "\r":
            out += "\\r"
        elif ch == "\t":
            out += "\\t"
        elif ord(ch) < 32 or ord(ch) == 127:
            out += "\\u{%x}" % ord(ch)
        else:
            out += ch
    return out


def reply_for(raw):
    # rules from extension B
    if len(raw) > 100:
        return "ERROR: Message too long"
    text = raw.strip()
    if text == "":
        return "ERROR: Empty message"
    return "ACK: " + text


server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    server.bind((HOST, PORT))
except OSError:
    print(f"[SERVER] Error: cannot listen on {HOST}:{PORT}: address already in use", file=sys.stderr)
    sys.exit(1)
server.listen(1)
print(f"[SERVER] Listening on {HOST}:{server.getsockname()[1]}", flush=True)
conn, addr = server.accept()
print(f"[SERVER] Connection from {addr[0]}:{addr[1]}", flush=True)
conn.settimeout(TIMEOUT)
try:
    data = conn.recv(BUFFER)
except socket.timeout:
    data = b""
if not data:
    # no data: the client timed out
    print(f"[SERVER] Client sent nothing within {TIMEOUT}s; closing", flush=True)
    conn.close()
    server.close()
    sys.exit(0)
try:
    raw = data.decode("utf-8")
except UnicodeDecodeError:
    print("[SERVER] Error: invalid UTF-8", flush=True)
    conn.sendall(b"ERROR: Invalid UTF-8")
    conn.close()
    server.close()
    sys.exit(0)
print(f"[SERVER] Received: {show(raw.strip())}", flush=True)
reply = reply_for(raw)
conn.sendall(reply.encode())
print(f"[SERVER] Sent: {show(reply)}", flush=True)
conn.close()
print("[SERVER] Closed connection", flush=True)
server.close()
