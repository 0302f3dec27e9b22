import socket
import sys

from helpers import HOST, PORT, BUF, TIMEOUT, log


def answer(data: bytes) -> str:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return "ERROR: Invalid UTF-8"
    text = text.rstrip("\r\n")          # nc adds a newline
    if len(text) == 0:
        return "ERROR: Empty message"
    if len(text) > 100:
        return "ERROR: Message too long"
    return f"ACK: {text}"


try:
    server = socket.create_server((HOST, PORT))   # sets SO_REUSEADDR on linux
except OSError as e:
    print(f"[SERVER] Error: cannot listen on {HOST}:{PORT}: {e}", file=sys.stderr)
    sys.exit(1)

log(f"[SERVER] Listening on {HOST}:{server.getsockname()[1]}")
conn, (chost, cport) = server.accept()
log(f"[SERVER] Connection from {chost}:{cport}")
conn.settimeout(TIMEOUT)
try:
    data = conn.recv(BUF)
    if data == b"":
        log(f"[SERVER] Client {chost}:{cport} closed without sending")
    else:
        reply = answer(data)
        if reply == "ERROR: Invalid UTF-8":
            log(f"[SERVER] Rejected: invalid UTF-8 ({len(data)} bytes)")
        else:
            log(f"[SERVER] Received: {data.decode().rstrip()}")
        conn.sendall(reply.encode())
        log(f"[SERVER] Sent: {reply}")
except socket.timeout:
    log(f"[SERVER] Client {chost}:{cport} sent nothing within {TIMEOUT}s; closing")
conn.close()
log("[SERVER] Closed connection")
server.close()
