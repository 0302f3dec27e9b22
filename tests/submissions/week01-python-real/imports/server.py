import socket
import sys

import config
from logger import log

srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    srv.bind((config.HOST, config.PORT))
except OSError as e:
    print(f"[SERVER] Error: cannot listen on {config.HOST}:{config.PORT}: address already in use", file=sys.stderr)
    sys.exit(1)
srv.listen(5)
host, port = srv.getsockname()
log("SERVER", f"Listening on {host}:{port}")
conn, (chost, cport) = srv.accept()
log("SERVER", f"Connection from {chost}:{cport}")
conn.settimeout(config.TIMEOUT)
try:
    data = conn.recv(config.BUFFER_SIZE)
except socket.timeout:
    log("SERVER", "Client sent nothing in time")
    conn.close()
    sys.exit(0)
if not data:
    log("SERVER", "Client left without sending")
    conn.close()
    sys.exit(0)
try:
    msg = data.decode()
except UnicodeDecodeError:
    reply = "ERROR: Invalid UTF-8"
else:
    log("SERVER", f"Received: {msg}")
    msg = msg.strip()
    if not msg:
        reply = "ERROR: Empty message"
    elif len(msg) > 100:
        reply = "ERROR: Message too long"
    else:
        reply = f"ACK: {msg}"
conn.sendall(reply.encode())
log("SERVER", f"Sent: {reply}")
conn.close()
log("SERVER", "Closed connection")
