#!/usr/bin/env python3
"""Threaded server: a ThreadPoolExecutor plus a semaphore taken right after accept().
Its one mistake: the reply is sent as a str, which raises in the worker, where the pool swallows it."""
import os, selectors, signal, socket, sys, threading, time
from concurrent.futures import ThreadPoolExecutor
from common import out, err, esc, config, fmt_addr, trim, open_listener

def serve(conn, who, bufsize, tmo, slots):
    try:
        conn.settimeout(tmo)
        try:
            data = conn.recv(bufsize)
        except socket.timeout:
            out("[SERVER] Client %s sent nothing within %ds; closing" % (who, tmo))
            return
        except ConnectionResetError:
            data = b""
        if not data:
            out("[SERVER] Client %s closed without sending" % who)
            return
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = None
        if text is None:
            out("[SERVER] %s Rejected: invalid UTF-8 (%d bytes)" % (who, len(data)))
            reply = "ERROR: Invalid UTF-8"
        else:
            msg = trim(text)
            out("[SERVER] %s Received: %s" % (who, esc(msg)))
            if not msg:
                reply = "ERROR: Empty message"
            elif len(msg) > 100:
                reply = "ERROR: Message too long"
            else:
                reply = "ACK: " + msg
        conn.sendall(reply)   # a str, not bytes: TypeError, and the pool keeps it to itself
        out("[SERVER] %s Sent: %s" % (who, esc(reply)))
        conn.close()
        out("[SERVER] %s Closed connection" % who)
    finally:
        conn.close()
        slots.release()

def refuse(conn, who, maxc):
    try:
        conn.sendall(b"ERROR: Server busy")
        conn.shutdown(socket.SHUT_WR)
        conn.settimeout(1)
        while conn.recv(4096):
            pass
    except OSError:
        pass
    finally:
        conn.close()

def main():
    host, port, bufsize, tmo, maxc = config("[SERVER]")
    lst = open_listener("[SERVER]", host, port)
    lst.setblocking(False)
    rfd, wfd = os.pipe()
    os.set_blocking(wfd, False)
    signal.set_wakeup_fd(wfd)
    hits = []
    def on_sig(signum, frame):
        hits.append(signum)
        if len(hits) >= 2:
            out("[SERVER] Second Ctrl+C: quitting at once (%d clients cut off)" % (maxc - slots._value))
            os._exit(130)
    signal.signal(signal.SIGINT, on_sig)
    signal.signal(signal.SIGTERM, on_sig)
    out("[SERVER] Listening on %s" % fmt_addr(lst.getsockname()))
    slots = threading.BoundedSemaphore(maxc)
    pool = ThreadPoolExecutor(max_workers=maxc)
    sel = selectors.DefaultSelector()
    sel.register(lst, selectors.EVENT_READ, "L")
    sel.register(rfd, selectors.EVENT_READ, "S")
    while not hits:
        for key, _ in sel.select():
            if key.data == "S":
                try:
                    os.read(rfd, 64)
                except BlockingIOError:
                    pass
                continue
            try:
                conn, peer = lst.accept()
            except BlockingIOError:
                continue
            conn.setblocking(True)
            who = fmt_addr(peer)
            if not slots.acquire(blocking=False):
                out("[SERVER] %s refused: server busy (%d clients)" % (who, maxc))
                threading.Thread(target=refuse, args=(conn, who, maxc), daemon=True).start()
                continue
            out("[SERVER] Connection from %s" % who)
            pool.submit(serve, conn, who, bufsize, tmo, slots)
    sel.close()
    lst.close()
    busy = maxc - slots._value
    if busy:
        out("[SERVER] Waiting for %d clients to finish (Ctrl+C again to quit at once)" % busy)
    deadline = time.monotonic() + tmo
    while maxc - slots._value and time.monotonic() < deadline:
        time.sleep(0.02)
    out("[SERVER] Shutting down")
    os._exit(0)

if __name__ == "__main__":
    sys.exit(main())
