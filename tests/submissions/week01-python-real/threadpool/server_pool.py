"""The one-shot server, started after a pool of 100 worker threads.

A pool started up front (as a thread-pool server does) reserves 8 MiB of
stack per thread that it never touches. The server itself is the handout's.
"""
import runpy
import threading

ready = threading.Event()
for _ in range(100):
    threading.Thread(target=ready.wait, daemon=True).start()

runpy.run_path("server.py", run_name="__main__")
