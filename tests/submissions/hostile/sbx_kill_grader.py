"""Hostile fixture: looks in /proc for netlab's processes, then tries to
stop them with SIGSTOP and to kill them with SIGKILL: the grader (its
command line holds `--server` and this fixture's token, argv[1]), and
netlab's helper in its tree (argv[0] `netlab-sandbox`: its namespace's
init, PID 1). Says what it found and what happened
on stderr, then exits 1. Only processes carrying the token, and its own
init, are aimed at: never another test's grader."""
import os
import signal
import sys
import time

token = sys.argv[1] if len(sys.argv) > 1 else "no-token"
targets = []
found = set()
for entry in os.listdir("/proc"):
    if not entry.isdigit() or int(entry) == os.getpid():
        continue
    try:
        with open(f"/proc/{entry}/cmdline", "rb") as f:
            words = f.read().split(b"\0")
    except OSError:
        continue
    # Its own namespace's init (PID 1) shows no token: the launcher wipes
    # its plan from its arguments. It is aimed at by its name alone, and
    # only as PID 1 (in the grader's own pid namespace, PID 1 is the
    # machine's init, which is never called that).
    own_init = int(entry) == 1 and words[0] == b"netlab-sandbox"
    if not own_init and not any(token.encode() in w for w in words):
        continue
    if b"--server" in words:
        found.add("grader")
    elif words[0] == b"netlab-sandbox":
        found.add("helper")
    else:
        continue
    targets.append(int(entry))
print(f"found netlab: {' '.join(sorted(found)) or 'nothing'}", file=sys.stderr, flush=True)


def state(pid):
    """The process's state letter (T: stopped), or None once it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            letter = f.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return None
    return None if letter in "ZX" else letter


# One line per signal: "done" if it took effect on any of them. A signal the kernel accepts but drops (a pid
# namespace's init ignores what its own namespace sends it) is "no effect".
for sig in (signal.SIGSTOP, signal.SIGKILL):
    outcome = None
    for pid in targets:
        try:
            os.kill(pid, sig)
        except OSError as e:
            outcome = outcome or f"refused ({e.strerror})"
            continue
        time.sleep(0.2)
        now = state(pid)
        took = now == "T" if sig == signal.SIGSTOP else now is None
        if took:
            outcome = "done"
        elif outcome != "done":
            outcome = "no effect"
    if outcome:
        print(f"{sig.name} netlab: {outcome}", file=sys.stderr, flush=True)
sys.exit(1)
