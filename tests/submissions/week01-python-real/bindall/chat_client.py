import os
import socket
import sys

from termcolor import colored

HOST = os.environ.get("LAB_HOST", "127.0.0.1")
PORT = int(os.environ.get("LAB_PORT", 5000))
s = socket.create_connection((HOST, PORT))
for m in sys.argv[1:]:
    s.sendall((m + "\n").encode())
    print(colored("[CLIENT] " + s.recv(1024).decode().strip(), "green"))
