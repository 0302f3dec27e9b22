"""Hostile fixture: allocates up to 4 GiB in 64 MiB steps, touching every
page, then listens like a server would. Bounded at 4 GiB."""
import sys

blocks = []
for step in range(64):
    blocks.append(bytearray(64 << 20))  # zero-filled: every page touched
    print(f"allocated {(step + 1) * 64} MiB", file=sys.stderr, flush=True)
print("[SERVER] Listening on 127.0.0.1:1", flush=True)
