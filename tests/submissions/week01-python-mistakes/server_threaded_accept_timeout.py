"""Threaded server with one mistake: LAB_TIMEOUT is set on the listening
socket too, so accept() times out when no client comes for that long, and
the uncaught timeout ends the server.

Correct in every other way (LAB_* settings, the busy cap, a clean shutdown
on Ctrl+C or SIGTERM that lets clients in flight finish). Blind round 25
(C's SO_RCVTIMEO on the listening socket) was told it crashed over what a
client sent.
"""

import os
import signal
import socket
import sys
import threading
import time

HOST = os.environ.get("LAB_HOST", "127.0.0.1")
PORT = int(os.environ.get("LAB_PORT", "5000"))
BUFFER_SIZE = int(os.environ.get("LAB_BUFFER_SIZE", "1024"))
TIMEOUT = float(os.environ.get("LAB_TIMEOUT", "5"))
MAX_CLIENTS = int(os.environ.get("LAB_MAX_CLIENTS", "64"))



def say(line):
    print(line, flush=True)


def handle(conn, addr, places):
    name = f"{addr[0]}:{addr[1]}"
    try:
        conn.settimeout(TIMEOUT)
        try:
            data = conn.recv(BUFFER_SIZE)
        except socket.timeout:
            say(f"[SERVER] {name} sent nothing within {TIMEOUT:g}s; closing")
            return
        if not data:
            say(f"[SERVER] {name} closed without sending")
            return
        try:
            message = data.decode().strip()
        except UnicodeDecodeError:
            conn.sendall(b"ERROR: Invalid UTF-8")
            return
        say(f"[SERVER] {name} Received: {message.encode('unicode_escape').decode()}")
        reply = f"ACK: {message}"
        conn.sendall(reply.encode())
        say(f"[SERVER] {name} Sent: {reply.encode('unicode_escape').decode()}")
    except OSError:
        pass
    finally:
        conn.close()
        say(f"[SERVER] {name} Closed connection")
        places.release()


def main():
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        server.bind((HOST, PORT))
        server.listen(128)
    except OSError as error:
        print(f"[SERVER] Error: cannot listen on {HOST}:{PORT}: {error.strerror.lower()}",
              file=sys.stderr, flush=True)
        return 1
    places = threading.BoundedSemaphore(MAX_CLIENTS)
    workers = []
    say(f"[SERVER] Listening on {HOST}:{server.getsockname()[1]}")
    server.settimeout(TIMEOUT)  # MISTAKE(exits-early): the session's timeout, on the listener
    try:
        while True:
            conn, addr = server.accept()
            conn.settimeout(None)
            if not places.acquire(blocking=False):
                say(f"[SERVER] {addr[0]}:{addr[1]} refused: server busy")
                conn.sendall(b"ERROR: Server busy")
                conn.close()
                continue
            say(f"[SERVER] Connection from {addr[0]}:{addr[1]}")
            worker = threading.Thread(target=handle, args=(conn, addr, places), daemon=True)
            worker.start()
            workers.append(worker)
    except KeyboardInterrupt:
        pass
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    server.close()
    say("[SERVER] Shutting down")
    deadline = time.monotonic() + TIMEOUT + 1
    for worker in workers:
        worker.join(max(0.0, deadline - time.monotonic()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
