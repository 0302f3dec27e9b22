"""Hostile fixture: tries to read a secret, to write outside its folder
(argv[1]: a folder of the grader's), to leave a file named argv[2] in
/tmp, /var/tmp and /dev/shm (writable by anyone), and to reach a non-loopback address
(192.0.2.1 is a documentation address: never routed; 1 s timeout). Says
what happened on stderr, then exits 1."""
import os
import socket
import sys

def attempt(name, action):
    try:
        action()
        print(f"{name}: done", file=sys.stderr)
    except OSError as e:
        print(f"{name}: refused ({e.strerror})", file=sys.stderr)

attempt("read /etc/shadow", lambda: open("/etc/shadow").read())
outside = sys.argv[1] if len(sys.argv) > 1 else "/tmp"
attempt("write outside", lambda: open(os.path.join(outside, "planted.txt"), "w").write("x"))
planted = sys.argv[2] if len(sys.argv) > 2 else "netlab-planted"

def write_and_read_back(path):
    with open(path, "w") as f:
        f.write("x")
    with open(path) as f:
        f.read()

for tree in ["/tmp", "/var/tmp", "/dev/shm"]:
    attempt(f"write {tree}", lambda: write_and_read_back(os.path.join(tree, planted)))
attempt("write own folder", lambda: open("mine.txt", "w").write("x"))

def reach():
    s = socket.socket()
    s.settimeout(1)
    s.connect(("192.0.2.1", 9))
attempt("connect 192.0.2.1", reach)
print(f"uid {os.getuid()} pid {os.getpid()}", file=sys.stderr, flush=True)
sys.exit(1)
