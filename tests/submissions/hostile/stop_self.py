"""Announces its Listening line, then stops itself with SIGSTOP.

Expected: a verdict anyway (no reply), the report names it stopped, and the
stopped process is killed with its check.
"""

import os
import signal

from common import bound, listen, announce

bound()
server = listen()
announce(server)
os.kill(os.getpid(), signal.SIGSTOP)
