# Chat room server: everybody sees everybody's messages
import os
import select
import socket
import time

HOST = os.environ.get("LAB_HOST", "127.0.0.1")
PORT = int(os.environ.get("LAB_PORT", "5000"))

server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind((HOST, PORT))
server.listen(10)
print(f"[SERVER] Listening on {HOST}:{server.getsockname()[1]}", flush=True)

sockets = [server]
names = {}


def broadcast(sender, text):
    for s in sockets:
        if s is not server and s is not sender:
            try:
                s.sendall(text.encode())
            except OSError:
                pass


try:
    while True:
        readable, _, _ = select.select(sockets, [], [])
        for s in readable:
            if s is server:
                conn, addr = server.accept()
                sockets.append(conn)
                names[conn] = f"{addr[0]}:{addr[1]}"
                print(f"[SERVER] @{time.strftime('%H:%M:%S')} Connection from {names[conn]}", flush=True)
                continue
            data = s.recv(1024)
            if not data:
                print(f"[SERVER] @{time.strftime('%H:%M:%S')} {names[s]} Closed connection", flush=True)
                sockets.remove(s)
                s.close()
                continue
            for line in data.decode().splitlines():
                print(f"[SERVER] @{time.strftime('%H:%M:%S')} {names[s]} Client: {line}", flush=True)
                broadcast(s, f"[{names[s]}] {line}\n")
except KeyboardInterrupt:
    print("[SERVER] Shutting down", flush=True)
    server.close()
