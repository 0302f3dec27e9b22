import os, socket, sys, time
# first step of the lab: just check that we can reach the server
port = int(os.environ["LAB_PORT"])
print(f"run pid={os.getpid()} argv={sys.argv[1:]}", file=sys.stderr, flush=True)
s = socket.create_connection(("127.0.0.1", port))
print(f"connected from {s.getsockname()}", file=sys.stderr, flush=True)
s.close()
sys.exit(1)
