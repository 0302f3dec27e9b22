# My logging helper. It also runs a little status server so I can check
# from another terminal that the lab is alive (nc 127.0.0.1 PORT).
import socket
import threading

import config


def log(who, text):
    print(f"[{who}] {text}", flush=True)


def _status_server(sock):
    while True:
        conn, _ = sock.accept()
        conn.sendall(b"alive\n")
        conn.close()


_sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
_sock.bind((config.HOST, config.PORT))
_sock.listen(5)
threading.Thread(target=_status_server, args=(_sock,), daemon=True).start()
