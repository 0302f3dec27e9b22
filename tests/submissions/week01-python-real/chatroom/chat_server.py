# Helpdesk chat server. Replies with the time so the client knows when we
# got it.
import os
import socket
import time

HOST = os.getenv("LAB_HOST", "127.0.0.1")
PORT = int(os.getenv("LAB_PORT", "5000"))

server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind((HOST, PORT))
server.listen(5)
print(f"[SERVER] Listening on {HOST}:{PORT}")

while True:
    conn, addr = server.accept()
    print(f"[SERVER] New client {addr[0]}:{addr[1]}")
    while True:
        data = conn.recv(1024)
        if not data:
            break
        msg = data.decode().strip()
        now = time.strftime("%H:%M:%S")
        print(f"[SERVER] @{now} {addr[0]}:{addr[1]} Client: {msg}")
        conn.sendall(f"ACK: {msg} (Server at {now})\n".encode())
    conn.close()
