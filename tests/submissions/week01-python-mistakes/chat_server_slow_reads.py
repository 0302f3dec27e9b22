"""Chat server, first try: one recv() is taken as one message.

It also pauses before each read ("to let the whole line arrive"), so a
line sent in two parts a moment apart is usually read whole: the framing
mistake hides behind the pause.
"""
import os
import socket
import time

server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", int(os.environ.get("LAB_PORT", "5000"))))
server.listen(16)
print(f"[SERVER] Listening on 127.0.0.1:{server.getsockname()[1]}", flush=True)
while True:
    conn, (host, port) = server.accept()
    print(f"[SERVER] Connection from {host}:{port}", flush=True)
    conn.settimeout(5)
    try:
        while True:
            time.sleep(0.6)
            data = conn.recv(4096)
            if not data:
                break
            message = data.decode("utf-8", "replace").rstrip("\n")
            stamp = time.strftime("%H:%M:%S")
            print(f"[SERVER] @{stamp} {host}:{port} Client: {message}", flush=True)
            conn.sendall(f"[ACK @{stamp}] {message}\n".encode("utf-8"))
    except OSError:
        pass
    conn.close()
