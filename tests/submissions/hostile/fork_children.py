"""Forks 200 children that sleep, then serves one client as asked.

Abuse: many processes (a fork bomb, bounded). Expected: a processes limit
stops it (`resource-limit`) and none of the children outlives the check.
"""

import os
import sys
import time

from common import bound, server_main

bound()
for _ in range(200):
    if os.fork() == 0:
        bound()
        time.sleep(30)
        os._exit(0)
server_main()
