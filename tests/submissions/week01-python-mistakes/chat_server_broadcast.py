"""Chat server written as a chat room: a thread per caller, and every ACK
sent to every caller connected.

MISTAKE(wrong-reply): the helpdesk answers each caller alone, on its own
connection. With two callers connected, the first gets the ACK of the
second's line too. One caller at a time, nothing shows: only a second
caller connected beside the first tells (chat-sessions).
The fix: send the ACK on the connection the line came from, and nowhere
else.
"""
import os
import socket
import threading
import time

callers = []
lock = threading.Lock()


def serve(conn, host, port):
    with lock:
        callers.append(conn)
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
                print(f"[SERVER] @{stamp} {host}:{port} Client: {line}", flush=True)
                ack = f"[ACK @{stamp}] {line}\n".encode("utf-8")
                with lock:
                    for other in callers:  # MISTAKE(wrong-reply): everyone gets it
                        try:
                            other.sendall(ack)
                        except OSError:
                            pass
    except OSError:
        pass
    finally:
        with lock:
            callers.remove(conn)
        conn.close()


server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", int(os.environ.get("LAB_PORT", "5000"))))
server.listen(16)
print(f"[SERVER] Listening on 127.0.0.1:{server.getsockname()[1]}", flush=True)
while True:
    conn, (host, port) = server.accept()
    print(f"[SERVER] Connection from {host}:{port}", flush=True)
    threading.Thread(target=serve, args=(conn, host, port), daemon=True).start()
