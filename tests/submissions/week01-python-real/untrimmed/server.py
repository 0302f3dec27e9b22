"""One-shot TCP server (week 1), with the standard logging module."""
import errno
import socket
import sys

from labcfg import load, make_logger, fmt_addr, esc, check_message

log = make_logger("SERVER")


def main():
    host, port, bufsize, timeout, _ = load("SERVER")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    lsock = socket.socket(family, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        lsock.bind((host, port))
        lsock.listen(5)
    except OSError as e:
        if e.errno == errno.EADDRINUSE:
            log.error(f"Error: cannot listen on {fmt_addr((host, port))}: address already in use")
        else:
            log.error(f"Error: cannot listen on {fmt_addr((host, port))}: {e.strerror}")
        return 1
    log.info(f"Listening on {fmt_addr(lsock.getsockname())}")
    conn, addr = lsock.accept()
    lsock.close()
    peer = fmt_addr(addr)
    log.info(f"Connection from {peer}")
    with conn:
        conn.settimeout(timeout)
        try:
            data = conn.recv(bufsize)
        except socket.timeout:
            log.info(f"Client {peer} sent nothing within {timeout}s; closing")
            return 0
        except OSError as e:
            log.error(f"Error: reading from {peer}: {e}")
            return 1
        if not data:
            log.info(f"Client {peer} closed without sending")
            return 0
        text, reply = check_message(data)
        if text is None:
            log.info(f"Rejected: invalid UTF-8 ({len(data)} bytes)")
        else:
            log.info(f"Received: {esc(text.strip())}")
        try:
            conn.sendall(reply.encode("utf-8"))
        except OSError as e:
            log.error(f"Error: sending to {peer}: {e}")
            return 1
        log.info(f"Sent: {esc(reply)}")
    log.info("Closed connection")
    return 0


if __name__ == "__main__":
    sys.exit(main())
