"""Hostile fixture: five children each hold 60 000 files open with no
descriptor (open, map into memory, close: the mapping keeps the file), past
RLIMIT_NOFILE, toward the machine's file table; then it serves one client
correctly.

Its check's own assertions pass: the grader must still stop the tree (it
holds far more files than any program needs) and name it `resource-limit`.
"""

import ctypes
import mmap
import os
import sys
import time

from common import bound, server_main

bound()
for _ in range(5):
    if os.fork() == 0:
        bound()
        # Through libc: Python's mmap object keeps a descriptor of its own.
        libc = ctypes.CDLL(None, use_errno=True)
        libc.mmap.restype = ctypes.c_void_p
        libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int,
                              ctypes.c_int, ctypes.c_int, ctypes.c_long]
        for _ in range(60_000):
            try:
                fd = os.open(sys.argv[0], os.O_RDONLY)
            except OSError:
                break
            libc.mmap(None, 4096, mmap.PROT_READ, mmap.MAP_SHARED, fd, 0)
            os.close(fd)
        time.sleep(30)
        os._exit(0)
time.sleep(3)  # the children fill their share first
server_main()
