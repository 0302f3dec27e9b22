# Week 1 server - one client, one message
import os
import socket
import sys

HOST = os.environ.get("LAB_HOST", "127.0.0.1").strip()
PORT = int(os.environ.get("LAB_PORT", "5000"))
BUF = int(os.environ.get("LAB_BUFFER_SIZE", "1024"))
TIMEOUT = int(os.environ.get("LAB_TIMEOUT", "5"))
MAX_LEN = 100


def log(msg):
    print(msg, flush=True)


def main():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind((HOST, PORT))
    except OSError as e:
        print(f"[SERVER] Error: cannot listen on {HOST}:{PORT}: address already in use", file=sys.stderr)
        sys.exit(1)
    s.listen(1)
    log(f"[SERVER] Listening on {HOST}:{s.getsockname()[1]}")
    conn, addr = s.accept()
    s.close()
    client = f"{addr[0]}:{addr[1]}"
    log(f"[SERVER] Connection from {client}")
    conn.settimeout(TIMEOUT)
    try:
        data = conn.recv(BUF)
    except socket.timeout:
        log(f"[SERVER] Client {client} sent nothing within {TIMEOUT}s; closing")
        conn.close()
        return
    if not data:
        log(f"[SERVER] Client {client} closed without sending")
        conn.close()
        return
    try:
        msg = data.decode("utf-8").strip()
    except UnicodeDecodeError:
        log(f"[SERVER] Rejected: invalid UTF-8 ({len(data)} bytes)")
        reply = "ERROR: Invalid UTF-8"
    else:
        # print what we got
        log(f"[SERVER] Received: {msg}")
        if msg == "":
            reply = "ERROR: Empty message"
        elif len(msg) > MAX_LEN:
            reply = "ERROR: Message too long (max " + str(MAX_LENGTH) + ")"
        else:
            reply = "ACK: " + msg
    conn.sendall(reply.encode())
    log(f"[SERVER] Sent: {reply}")
    conn.close()
    log("[SERVER] Closed connection")


if __name__ == "__main__":
    main()
