"""Hostile fixture: forks children (sleeping, each bounded) until the
sandbox refuses one, catches the refusal, then serves one client correctly.

Its check's own assertions pass: the grader must still name the refused
fork (`resource-limit`), which the pids controller counted.
"""

import os
import time

from common import bound, server_main

bound()
for _ in range(300):
    try:
        pid = os.fork()
    except OSError:
        break  # the limit: carry on as if nothing happened
    if pid == 0:
        bound()
        time.sleep(30)
        os._exit(0)
server_main()
