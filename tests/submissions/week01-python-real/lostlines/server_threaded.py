"""Threaded server written in C style: prints never flushed, no signal
handlers at all, and the message printed raw.

Three mistakes (blind round 32's C server, in Python): its stdout is a
block buffer while it is a pipe, and nothing flushes it; SIGINT and
SIGTERM kill it where it stands (SIG_DFL), so what the buffer held is
lost; a message's control characters reach the console raw. The escapes
check must not pass on lines it never saw.
"""
import os
import signal
import socket
import sys
import threading

HOST = os.environ.get("LAB_HOST", "127.0.0.1")
PORT = int(os.environ.get("LAB_PORT", "5000"))
TIMEOUT = float(os.environ.get("LAB_TIMEOUT", "5"))
MAX_CLIENTS = int(os.environ.get("LAB_MAX_CLIENTS", "64"))
places = threading.BoundedSemaphore(MAX_CLIENTS)
stopping = threading.Event()
got = []


def on_signal(signum, frame):
    got.append(signum)
    stopping.set()


def serve(conn, peer):
    try:
        session(conn, peer)
    finally:
        places.release()


def session(conn, peer):
    with conn:
        conn.settimeout(TIMEOUT)
        try:
            data = conn.recv(1024)
        except socket.timeout:
            print(f"[SERVER] Client {peer} sent nothing within {TIMEOUT:g}s; closing")
            return
        except OSError:
            return
        if not data:
            print(f"[SERVER] Client {peer} closed without sending")
            return
        message = data.decode("utf-8", "replace").strip()
        print(f"[SERVER] {peer} Received: {message}")
        conn.sendall(f"ACK: {message}".encode("utf-8"))
        print(f"[SERVER] {peer} Sent: ACK: {message}")
    print(f"[SERVER] {peer} Closed connection")


def main():
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((HOST, PORT))
    listener.listen(16)
    listener.settimeout(0.2)  # wake up now and then to see the stop flag
    print(f"[SERVER] Listening on {HOST}:{listener.getsockname()[1]}")
    workers = []
    while not stopping.is_set():
        try:
            conn, (host, port) = listener.accept()
        except (socket.timeout, InterruptedError):
            continue
        if not places.acquire(blocking=False):
            conn.sendall(b"ERROR: Server busy")
            conn.close()
            continue
        print(f"[SERVER] Connection from {host}:{port}")
        worker = threading.Thread(target=serve, args=(conn, f"{host}:{port}"))
        worker.start()
        workers.append(worker)
    listener.close()
    print("[SERVER] Shutting down")
    for worker in workers:
        worker.join(TIMEOUT)
    sys.exit(0)


if __name__ == "__main__":
    main()
