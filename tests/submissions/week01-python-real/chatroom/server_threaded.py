# Extension D: threaded server, reusing my handler from the helpers file.
import socket
import threading

from helpers import handle_client, load_config

cfg = load_config()
srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind((cfg.host, cfg.port))
srv.listen(16)
print(f"[SERVER] Listening on {cfg.host}:{srv.getsockname()[1]}", flush=True)
while True:
    conn, addr = srv.accept()
    threading.Thread(target=handle_client, args=(conn, addr), daemon=True).start()
