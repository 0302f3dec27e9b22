# TCP echo server (from the lab sheet, port taken from LAB_PORT)
import os
import socket

host = "127.0.0.1"
port = int(os.environ.get("LAB_PORT", "8888"))

with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
    s.bind((host, port))
    s.listen()
    conn, addr = s.accept()
    with conn:
        print("Client connected:", addr)
        while True:
            data = conn.recv(1024)
            print("Got:", data.decode())
            conn.sendall(data)
