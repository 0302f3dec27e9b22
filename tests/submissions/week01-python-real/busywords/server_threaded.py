"""Extension D with socketserver.ThreadingTCPServer."""
import os
import signal
import socket
import socketserver
import sys
import threading

from labcfg import load, make_logger, fmt_addr, esc, check_message

log = make_logger("SERVER")
HOST, PORT, BUFSIZE, TIMEOUT, MAXC = load("SERVER")


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        peer = fmt_addr(self.client_address)
        conn = self.request
        conn.settimeout(TIMEOUT)
        try:
            data = conn.recv(BUFSIZE)
        except socket.timeout:
            log.info(f"{peer} sent nothing within {TIMEOUT}s; closing")
            return
        except OSError as e:
            log.info(f"{peer} Error: {e}")
            return
        if not data:
            log.info(f"{peer} closed without sending")
            return
        text, reply = check_message(data)
        if text is None:
            log.info(f"{peer} Rejected: invalid UTF-8 ({len(data)} bytes)")
        else:
            log.info(f"{peer} Received: {esc(text.strip())}")
        try:
            conn.sendall(reply.encode())
            log.info(f"{peer} Sent: {esc(reply)}")
        except OSError as e:
            log.info(f"{peer} Error: {e}")

    def finish(self):
        log.info(f"{fmt_addr(self.client_address)} Closed connection")


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = False
    block_on_close = True

    def __init__(self, *a, **kw):
        self.slots = threading.BoundedSemaphore(MAXC)
        self.active = 0
        self.lock = threading.Lock()
        super().__init__(*a, **kw)

    def verify_request(self, request, client_address):
        if self.slots.acquire(blocking=False):
            with self.lock:
                self.active += 1
            return True
        log.info(f"{fmt_addr(client_address)} refused: server busy ({MAXC} clients)")
        try:
            request.sendall(b"Server busy, try again later")  # friendlier than the spec text
        except OSError:
            pass
        return False

    def process_request_thread(self, request, client_address):
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self.lock:
                self.active -= 1
            self.slots.release()

    def process_request(self, request, client_address):
        log.info(f"Connection from {fmt_addr(client_address)}")
        super().process_request(request, client_address)


def main():
    try:
        srv = Server((HOST, PORT), Handler)
    except OSError as e:
        log.error(f"Error: cannot listen on {HOST}:{PORT}: {e.strerror.lower()}")
        return 1
    log.info(f"Listening on {fmt_addr(srv.server_address)}")
    state = {"count": 0}

    def on_signal(signum, frame):
        state["count"] += 1
        if state["count"] == 1:
            threading.Thread(target=srv.shutdown).start()
        else:
            with srv.lock:
                n = srv.active
            log.info(f"Second Ctrl+C: quitting at once ({n} clients cut off)")
            logging_flush()
            os._exit(130)

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    srv.serve_forever(poll_interval=0.1)
    with srv.lock:
        n = srv.active
    if n:
        log.info(f"Waiting for {n} clients to finish (Ctrl+C again to quit at once)")
    srv.server_close()   # joins the handler threads (each bounded by TIMEOUT)
    log.info("Shutting down")
    return 0


def logging_flush():
    sys.stdout.flush()


if __name__ == "__main__":
    sys.exit(main())
