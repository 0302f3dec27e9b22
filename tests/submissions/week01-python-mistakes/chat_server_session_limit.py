"""Chat server, a thread per caller, that takes four callers and then
closes every new one at once, without reading it (a limit of its own:
"four sessions are enough for a demo").

MISTAKE(exits-early): a chat server takes every caller, one after
another, for as long as it runs. chat-sessions' fifth caller (the slow
typist) is dropped with its line unread: the connection is reset, and no
ACK comes. Told as a caller dropped unread, with a hint about limits on
connections (blind round 31: the slow typist's first line was not
judged, and a dropped caller passed).
The fix: no limit the handout does not ask for.
"""
import os
import socket
import threading
import time

MAX_SESSIONS = 4  # MISTAKE(exits-early): a limit the contract does not have
sessions = 0


def serve(conn, host, port):
    pending = b""
    try:
        while True:
            data = conn.recv(4096)
            if not data:
                break
            pending += data
            while b"\n" in pending:
                raw, pending = pending.split(b"\n", 1)
                line = raw.decode("utf-8", "replace")
                stamp = time.strftime("%H:%M:%S")
                print(f"[SERVER] @{stamp} {host}:{port} Client: {line.encode('unicode_escape').decode()}", flush=True)
                ack = f"[ACK @{stamp}] {line}\n".encode("utf-8")
                conn.sendall(ack)
    except OSError:
        pass
    finally:
        conn.close()


server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", int(os.environ.get("LAB_PORT", "5000"))))
server.listen(16)
print(f"[SERVER] Listening on 127.0.0.1:{server.getsockname()[1]}", flush=True)
while True:
    conn, (host, port) = server.accept()
    sessions += 1
    if sessions > MAX_SESSIONS:
        conn.close()
        continue
    print(f"[SERVER] Connection from {host}:{port}", flush=True)
    threading.Thread(target=serve, args=(conn, host, port), daemon=True).start()
