"""Chat server that reads its lines through a text file made from the socket.

MISTAKE(split-message): sock.makefile("r") opens the stream in text mode
with universal newlines, so readline() ends a line at a lone \r as well as
at \n. A line with a carriage return in its middle is answered twice (the
ACK of the part before the \r, then of the rest). Only \n ends a chat line.
The fix: makefile("r", newline="\n"), or cut the bytes at b"\n" yourself.
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
    reader = conn.makefile("r", encoding="utf-8", errors="replace")  # MISTAKE(split-message)
    try:
        for line in reader:
            message = line.rstrip("\n")
            stamp = time.strftime("%H:%M:%S")
            print(f"[SERVER] @{stamp} {host}:{port} Client: {message}", flush=True)
            conn.sendall(f"[ACK @{stamp}] {message}\n".encode("utf-8"))
    except OSError:
        pass
    reader.close()
    conn.close()
