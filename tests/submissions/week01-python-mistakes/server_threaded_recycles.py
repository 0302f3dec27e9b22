"""Threaded server, correct except that it retires itself.

MISTAKE(exits-early): after 20 clients, once none is being served, it
leaves its accept loop and ends ("recycle the process now and then, like
a web server's MaxRequestsPerChild"). The contract's threaded server runs
until Ctrl+C, however many clients come. Each check starts a server of its
own and sends it only a few clients: the grader must still see it end.
The fix: no counter; the loop ends on the signal only.
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
MAX_SERVED = 20
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
    served = 0
    while not stopping.is_set():
        # MISTAKE(exits-early): retire after MAX_SERVED clients, when idle.
        if served >= MAX_SERVED and not any(w.is_alive() for w in workers):
            break
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
        served += 1
    listener.close()
    print("[SERVER] Shutting down", flush=True)
    for worker in workers:
        worker.join(TIMEOUT)
    sys.exit(0)


if __name__ == "__main__":
    main()
