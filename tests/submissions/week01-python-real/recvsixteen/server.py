# Networks lab week 1 - server
# Student: K. (group 3)
import os
import socket
import sys

HOST = os.environ.get("LAB_HOST", "127.0.0.1")
PORT = int(os.environ.get("LAB_PORT", 5000))

srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    srv.bind((HOST, PORT))
except OSError as e:
    sys.stderr.write(f"[SERVER] Error: cannot listen on {HOST}:{PORT}: address already in use\n")
    sys.exit(1)
srv.listen(5)
print("[SERVER] Listening on %s:%d" % srv.getsockname(), flush=True)

conn, addr = srv.accept()
print("[SERVER] Connection from %s:%d" % addr, flush=True)
conn.settimeout(5)  # extension C: don't wait forever

try:
    data = conn.recv(16)
    if not data:
        print(f"[SERVER] Client {addr[0]}:{addr[1]} closed without sending", flush=True)
    else:
        message = data.decode().strip()
        print("[SERVER] Received: " + message, flush=True)
        if message == "":
            reply = "ERROR: Empty message"
        elif len(message) > 100:
            reply = "ERROR: Message too long"
        else:
            reply = "ACK: " + message
        conn.sendall(reply.encode())
        print("[SERVER] Sent: " + reply, flush=True)
except socket.timeout:
    print(f"[SERVER] Client {addr[0]}:{addr[1]} sent nothing within 5s; closing", flush=True)
except Exception:
    pass  # never crash the server

conn.close()
srv.close()
print("[SERVER] Closed connection", flush=True)
