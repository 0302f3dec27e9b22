# Lab 1: the one-shot server
import os, socket, sys
HOST = os.environ.get("LAB_HOST", "127.0.0.1"); PORT = int(os.environ.get("LAB_PORT", "5000"))
BUF = int(os.environ.get("LAB_BUFFER_SIZE", "1024")); TIMEOUT = int(os.environ.get("LAB_TIMEOUT", "5"))
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind((HOST, PORT)); s.listen(5)
except OSError:
    print(f"[SERVER] Error: cannot listen on {HOST}:{PORT}: address already in use", file=sys.stderr); sys.exit(1)
s.settimeout(TIMEOUT)  # LAB_TIMEOUT for the client
print(f"[SERVER] Listening on {HOST}:{s.getsockname()[1]}")
conn, addr = s.accept()
peer = f"{addr[0]}:{addr[1]}"
print(f"[SERVER] Connection from {peer}")
data = conn.recv(BUF)
if not data:
    print(f"[SERVER] Client {peer} closed without sending"); sys.exit(0)
try:
    msg = data.decode().strip()
except UnicodeDecodeError:
    conn.sendall(b"ERROR: Invalid UTF-8"); print(f"[SERVER] Rejected: invalid UTF-8 ({len(data)} bytes)"); conn.close(); print("[SERVER] Closed connection"); sys.exit(0)
reply = "ERROR: Empty message" if not msg else ("ERROR: Message too long" if len(msg) > 100 else "ACK: " + msg)
print(f"[SERVER] Received: {msg}")
conn.sendall(reply.encode()); print(f"[SERVER] Sent: {reply}")
conn.close(); print("[SERVER] Closed connection")
