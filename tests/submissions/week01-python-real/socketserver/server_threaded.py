"""Week 1 threaded server (extension D) with socketserver.ThreadingTCPServer."""
import argparse
import logging
import os
import signal
import socketserver
import sys
import threading

logging.basicConfig(format="[SERVER] %(message)s", level=logging.INFO)
log = logging.getLogger("server")


def load_config():
    return {
        "host": os.environ.get("LAB_HOST", "127.0.0.1").strip(),
        "port": int(os.environ.get("LAB_PORT", "5000")),
        "buffer_size": int(os.environ.get("LAB_BUFFER_SIZE", "1024")),
        "timeout": int(os.environ.get("LAB_TIMEOUT", "5")),
        "max_clients": int(os.environ.get("LAB_MAX_CLIENTS", "64")),
    }


def fmt(addr):
    return f"{addr[0]}:{addr[1]}"


def make_reply(data):
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return f"Rejected: invalid UTF-8 ({len(data)} bytes)", "ERROR: Invalid UTF-8"
    msg = text.strip()
    if not msg:
        return f"Received: {msg}", "ERROR: Empty message"
    if len(msg) > 100:
        return f"Received: {msg}", "ERROR: Message too long"
    return f"Received: {msg}", f"ACK: {msg}"


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        srv = self.server
        peer = fmt(self.client_address)
        with srv.lock:
            if srv.active >= srv.cfg["max_clients"]:
                busy = True
            else:
                busy = False
                srv.active += 1
        if busy:
            self.request.sendall(b"ERROR: Server busy")
            log.info("%s refused: server busy (%d clients)", peer, srv.cfg["max_clients"])
            return
        try:
            log.info("Connection from %s", peer)
            self.request.settimeout(srv.cfg["timeout"])
            try:
                data = self.request.recv(srv.cfg["buffer_size"])
            except TimeoutError:
                log.info("Client %s sent nothing within %ds; closing", peer, srv.cfg["timeout"])
                return
            if not data:
                log.info("Client %s closed without sending", peer)
                return
            line, reply = make_reply(data)
            log.info("%s %s", peer, line)
            self.request.sendall(reply.encode("utf-8"))
            log.info("%s Sent: %s", peer, reply)
            self.request.close()
            log.info("%s Closed connection", peer)
        finally:
            with srv.lock:
                srv.active -= 1


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
    block_on_close = False


def main():
    parser = argparse.ArgumentParser(description="week 1 threaded server")
    parser.parse_args()
    cfg = load_config()
    try:
        srv = Server((cfg["host"], cfg["port"]), Handler)
    except OSError as e:
        msg = "address already in use" if e.errno == 98 else e.strerror
        log.error("Error: cannot listen on %s:%d: %s", cfg["host"], cfg["port"], msg)
        sys.exit(1)
    srv.cfg = cfg
    srv.lock = threading.Lock()
    srv.active = 0
    log.info("Listening on %s", fmt(srv.server_address))

    def stop(signum, frame):
        # shutdown() blocks until serve_forever returns: call it from another thread
        threading.Thread(target=srv.shutdown).start()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    srv.serve_forever(poll_interval=0.2)
    srv.server_close()
    log.info("Shutting down")
    # let clients in flight finish, at most LAB_TIMEOUT seconds
    for t in threading.enumerate():
        if t is not threading.main_thread() and t.daemon:
            t.join(timeout=cfg["timeout"])
    sys.exit(0)


if __name__ == "__main__":
    main()
