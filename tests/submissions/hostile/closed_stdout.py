"""Closes its stdout at once, then sleeps (until LIFETIME).

Expected: the grader says stdout was closed, and does not spin a core while
it waits for a Listening line that can never come.
"""

import os
import time

from common import bound

bound()
os.close(1)
time.sleep(60)
