"""Hostile fixture for a class run: argv[1] is the class folder, argv[2] a
classmate's submission in it, argv[3] the results folder. Tries to list
the class, to read the classmate's server (to hand it in as its own), to
write into the classmate's folder (to break it), to list the results (to
read or forge a report), to list the folder above its own (where a
classmate may be), and counts the processes it can see. Says what
happened on stderr, one line each, then exits 1."""
import os
import sys

def attempt(name, action):
    try:
        print(f"{name}: {action()}", file=sys.stderr)
    except OSError as e:
        print(f"{name}: refused ({e.strerror})", file=sys.stderr)

class_dir, classmate, results = sys.argv[1], sys.argv[2], sys.argv[3]
mate = os.path.join(class_dir, classmate)

def sabotage():
    with open(os.path.join(mate, "server.py"), "a") as f:
        f.write("\nraise SystemExit(1)\n")
    return "done"

attempt("list class", lambda: f"{len(os.listdir(class_dir))} entries")
attempt("read classmate", lambda: f"{len(open(os.path.join(mate, 'server.py')).read())} bytes")
attempt("write classmate", sabotage)
attempt("list results", lambda: f"{len(os.listdir(results))} entries")
attempt("list parent", lambda: f"{len(os.listdir('..'))} entries")
attempt("processes", lambda: f"{sum(1 for p in os.listdir('/proc') if p.isdigit())} visible")
sys.exit(1)
