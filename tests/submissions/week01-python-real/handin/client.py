# client for lab 1 (started from an old tutorial)
import socket, sys, os

host = os.environ.get("LAB_HOST", "127.0.0.1")
port = int(os.environ.get("LAB_PORT", "5000"))
msg = sys.argv[1] if len(sys.argv) > 1 else "Hello Server"

s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.settimeout(5)
s.connect((host, port))
print "[CLIENT] Connected to %s:%d" % (host, port)
print "[CLIENT] Sending: " + msg
s.sendall(msg.encode())
reply = s.recv(1024).decode()
print "[CLIENT] Received: " + reply
s.close()
print "[CLIENT] Closed connection"
