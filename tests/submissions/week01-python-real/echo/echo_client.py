# TCP echo client
import os
import socket
import sys

host = "127.0.0.1"
port = int(os.environ.get("LAB_PORT", "8888"))
text = sys.argv[1] if len(sys.argv) > 1 else "Hello Server"

c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
c.connect((host, port))
c.send(text.encode("utf-8"))
answer = c.recv(1024).decode("utf-8")
print(f"Server says: {answer}")
c.close()
