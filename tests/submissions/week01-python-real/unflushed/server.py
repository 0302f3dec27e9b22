# Lab 1 server -- my version. Prints are not flushed (works fine in my
# terminal!), and the log lines are in my own words.
import os
import socket
import sys

HOST = os.environ.get("LAB_HOST", "127.0.0.1")
PORT = int(os.environ.get("LAB_PORT", "5000"))
BUF = int(os.environ.get("LAB_BUFFER_SIZE", "1024"))
TIMEOUT = float(os.environ.get("LAB_TIMEOUT", "5"))


def main():
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        srv.bind((HOST, PORT))
    except OSError:
        print(f"[SERVER] Error: cannot listen on {HOST}:{PORT}: address already in use", file=sys.stderr)
        sys.exit(1)
    srv.listen(5)
    # the port I configured, so people know where to connect
    print(f"[SERVER] Persistent server listening on {HOST}:{PORT}")
    conn, addr = srv.accept()
    print("[SERVER] Connection from", addr)
    conn.settimeout(TIMEOUT)
    try:
        data = conn.recv(BUF)
    except socket.timeout:
        print("[SERVER] Client sent nothing, closing")
        conn.close()
        return
    if not data:
        print("[SERVER] Client closed without sending anything")
        conn.close()
        return
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        reply = "ERROR: Invalid UTF-8"
    else:
        print("[SERVER] Recieved: " + text)
        msg = text.strip()
        if msg == "":
            reply = "ERROR: Empty message"
        elif len(msg) > 100:
            reply = "ERROR: Message too long"
        else:
            reply = "ACK: " + msg
    conn.sendall(reply.encode())
    print("[SERVER] Sent: " + reply)
    conn.close()
    print("[SERVER] Closed connection")
    srv.close()


main()
