"""Chat server with a line buffer, but a buffer of text: each recv() is
decoded on its own before the lines are cut out of it.

MISTAKE(split-message): a line whose bytes arrive in two reads split inside
a character (the two bytes of an `é`) fails to decode twice: the halves
are refused as invalid UTF-8 though the line, whole, is valid. The ASCII
split of chat-split passes; its second line, cut inside the `é`, does not.
The fix: keep a buffer of bytes, cut lines at b"\n", decode each whole line.
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
    pending = ""
    try:
        while True:
            data = conn.recv(4096)
            if not data:
                break
            try:
                pending += data.decode("utf-8")  # MISTAKE(split-message)
            except UnicodeDecodeError:
                conn.sendall(b"[ERROR] Invalid UTF-8\n")
                continue
            while "\n" in pending:
                line, pending = pending.split("\n", 1)
                stamp = time.strftime("%H:%M:%S")
                print(f"[SERVER] @{stamp} {host}:{port} Client: {line}", flush=True)
                conn.sendall(f"[ACK @{stamp}] {line}\n".encode("utf-8"))
    except OSError:
        pass
    conn.close()
