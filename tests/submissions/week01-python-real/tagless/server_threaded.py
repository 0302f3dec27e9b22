import os
import socket
import threading

HOST = os.environ.get("LAB_HOST", "127.0.0.1")
PORT = int(os.environ.get("LAB_PORT", "5000"))
MAX = int(os.environ.get("LAB_MAX_CLIENTS", "64"))
TIMEOUT = 5

active = 0


def handle(conn, addr):
    global active
    conn.settimeout(TIMEOUT)
    try:
        data = conn.recv(1024)
    except socket.timeout:
        print(f"[SERVER] {addr[0]}:{addr[1]} timed out", flush=True)
        conn.close()
        return
    if data:
        msg = data.decode().strip()
        print(f"[SERVER] Received: {msg}", flush=True)
        conn.sendall(f"ACK: {msg}".encode())
        print(f"[SERVER] Sent: ACK: {msg}", flush=True)
    conn.close()
    active -= 1


server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind((HOST, PORT))
server.listen(10)
print(f"[SERVER] Listening on {HOST}:{server.getsockname()[1]}", flush=True)
try:
    while True:
        conn, addr = server.accept()
        print(f"[SERVER] Connection from {addr[0]}:{addr[1]}", flush=True)
        if active > MAX:
            conn.sendall(b"ERROR: Server busy")
            conn.close()
            continue
        active += 1
        threading.Thread(target=handle, args=(conn, addr)).start()
except KeyboardInterrupt:
    print("Server stopped.", flush=True)
    server.close()
