"""Threaded server whose shutdown is right but for its exit status.

MISTAKE(exit-status): on Ctrl+C or SIGTERM it stops accepting, says
`[SERVER] Shutting down`, lets the clients in flight finish, and then exits
with 128 + the signal's number ("that is what bash shows for Ctrl+C"). A
server that handles the signal ends normally: exit 0. The grader must name
the status, not the shutdown, which was clean.
The fix: sys.exit(0) after the clients in flight are done.
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
            print(f"[SERVER] Client {peer} sent nothing within {TIMEOUT:g}s; closing", flush=True)
            return
        except OSError:
            return
        if not data:
            print(f"[SERVER] Client {peer} closed without sending", flush=True)
            return
        message = data.decode("utf-8", "replace").strip()
        print(f"[SERVER] {peer} Received: {message.encode('unicode_escape').decode()}", flush=True)
        try:
            conn.sendall(f"ACK: {message}".encode("utf-8"))
        except OSError as error:
            print(f"[SERVER] {peer} Error: send failed: {error}", file=sys.stderr, flush=True)
            return
        print(f"[SERVER] {peer} Sent: ACK: {message.encode('unicode_escape').decode()}", flush=True)
    print(f"[SERVER] {peer} Closed connection", flush=True)


def main():
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((HOST, PORT))
    listener.listen(16)
    listener.settimeout(0.2)  # wake up now and then to see the stop flag
    print(f"[SERVER] Listening on {HOST}:{listener.getsockname()[1]}", flush=True)
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
        print(f"[SERVER] Connection from {host}:{port}", flush=True)
        worker = threading.Thread(target=serve, args=(conn, f"{host}:{port}"))
        worker.start()
        workers.append(worker)
    listener.close()
    print("[SERVER] Shutting down", flush=True)
    for worker in workers:
        worker.join(TIMEOUT)
    sys.exit(128 + got[0])  # MISTAKE(exit-status)


if __name__ == "__main__":
    main()
