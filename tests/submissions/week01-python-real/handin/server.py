# Lab 1 server - Sam
# TODO clean up before submitting
import socket
import os
from helpers import log_line   # helpers.py is on my laptop

HOST = os.environ.get("LAB_HOST", "127.0.0.1")
PORT = int(os.environ.get("LAB_PORT", "5000"))


def main():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((HOST, PORT))
    s.listen(5)
    print("[SERVER] Listening on %s:%d" % s.getsockname(), flush=True)
    conn, addr = s.accept()
    log_line("[SERVER] Connection from %s:%d" % addr)
    data = conn.recv(1024)
    text = data.decode()
    log_line("[SERVER] Received: " + text)
    conn.sendall(("ACK: " + text).encode())
    log_line("[SERVER] Sent: ACK: " + text)
    conn.close()
    log_line("[SERVER] Closed connection")
    s.close()


if __name__ == "__main__":
    main()
