"""SIGKILLs its parent (the grader, when started directly), then serves.

Expected: the grader cannot be killed by what it grades and still reports.
"""

import os
import signal

from common import bound, server_main

bound()
os.kill(os.getppid(), signal.SIGKILL)
server_main()
