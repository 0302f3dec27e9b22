"""Chat server on select(): one loop for every caller, as a beginner
writes it after reading about select().

MISTAKE(empty-recv): when a caller leaves, recv() returns b"" and the
server says so, but never takes the socket out of the list it waits on:
select() finds it readable again at once, forever, and the server prints
its "Closed connection" line in a loop at full CPU while it still serves
the other callers (blind round 35: 8.5 MB of output, and every check
passed). Told by chat-sessions, whose callers come and go.
The fix: remove the socket from the list and close it when recv()
returns b"".
"""
import os
import select
import socket
import sys
import time

HOST = os.environ.get("LAB_HOST", "127.0.0.1").strip()
PORT = int(os.environ.get("LAB_PORT", "5000").strip())


def main():
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind((HOST, PORT))
    server.listen()
    host, port = server.getsockname()
    print(f"[SERVER] Listening on {host}:{port}", flush=True)
    clients = []
    names = {}
    pending = {}
    while True:
        readable, _, _ = select.select([server] + clients, [], [], 0.5)
        for s in readable:
            if s is server:
                conn, addr = server.accept()
                clients.append(conn)
                names[conn] = f"{addr[0]}:{addr[1]}"
                pending[conn] = b""
                print(f"[SERVER] Connection from {names[conn]}", flush=True)
                continue
            try:
                data = s.recv(4096)
            except OSError:
                data = b""
            if not data:
                # MISTAKE(empty-recv): said, but still in `clients`.
                print(f"[SERVER] {names[s]} Closed connection", flush=True)
                continue
            pending[s] += data
            while b"\n" in pending[s]:
                line, pending[s] = pending[s].split(b"\n", 1)
                message = line.decode("utf-8", "replace").rstrip("\r")
                stamp = time.strftime("%H:%M:%S")
                print(f"[SERVER] @{stamp} {names[s]} Client: {message}", flush=True)
                try:
                    s.sendall(f"[ACK @{stamp}] {message}\n".encode("utf-8"))
                except OSError:
                    pass


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        print("[SERVER] Shutting down", flush=True)
        sys.exit(0)
