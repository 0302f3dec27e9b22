# Extension D without threads: one selector serves every client.
import os
import selectors
import socket

HOST = os.environ.get("LAB_HOST", "127.0.0.1")
PORT = int(os.environ.get("LAB_PORT", "5000"))
MAX_CLIENTS = int(os.environ.get("LAB_MAX_CLIENTS", "64"))

sel = selectors.DefaultSelector()
clients = {}


def reply_for(text):
    if not text:
        return "ERROR: Empty message"
    if len(text) > 100:
        return "ERROR: Message too long"
    return "ACK: " + text


def on_message(conn, name):
    data = conn.recv(1024)
    if not data:
        sel.unregister(conn)
        conn.close()
        del clients[conn]
        return
    text = data.decode("utf-8").strip()
    print(f"[SERVER] {name} Received: {text}", flush=True)
    reply = reply_for(text)
    conn.sendall(reply)
    print(f"[SERVER] {name} Sent: {reply}", flush=True)
    sel.unregister(conn)
    conn.close()
    del clients[conn]


def main():
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind((HOST, PORT))
    server.listen(64)
    server.setblocking(False)
    print(f"[SERVER] Listening on {HOST}:{server.getsockname()[1]}", flush=True)
    sel.register(server, selectors.EVENT_READ, None)
    while True:
        for key, _ in sel.select():
            if key.data is None:
                conn, addr = server.accept()
                name = f"{addr[0]}:{addr[1]}"
                if len(clients) >= MAX_CLIENTS:
                    conn.sendall(b"ERROR: Server busy")
                    conn.close()
                    continue
                print(f"[SERVER] Connection from {name}", flush=True)
                clients[conn] = name
                sel.register(conn, selectors.EVENT_READ, name)
            else:
                on_message(key.fileobj, key.data)


main()
