"""Spins the CPU forever (until LIFETIME) and never listens.

Expected: a CPU-time limit ends it (`resource-limit` naming the seconds), or
the grader's startup wait does; the grader stays responsive.
"""

from common import bound

bound()
count = 0
while True:
    count += 1
