//! The mistakes the grader can name.
//!
//! Every failed check carries exactly one [`Diagnosis`]: a stable code that
//! reports, tests and the handout's mistakes table all use, and a hint that
//! tells a beginner what probably went wrong and what to try. A code names
//! one mistake only; never reuse a code for a second meaning — add a new one.

use serde::Serialize;

macro_rules! diagnoses {
    ($( $variant:ident = $code:literal, $title:literal, $hint:literal; )*) => {
        /// One named mistake. See the handout's common-mistakes table.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(into = "&'static str")]
        pub enum Diagnosis { $( $variant, )* }

        impl Diagnosis {
            /// Every diagnosis, in table order.
            pub const ALL: &'static [Diagnosis] = &[ $( Diagnosis::$variant, )* ];

            /// Could the program not get going at all (it never ran, or
            /// died while starting)? Other checks' failures of a program
            /// that dies at every start are that one mistake.
            pub fn is_a_failed_start(self) -> bool {
                matches!(self, Diagnosis::StartupFailure | Diagnosis::CannotStart)
            }

            /// The stable code, e.g. `missing-listen`.
            pub fn code(self) -> &'static str {
                match self { $( Diagnosis::$variant => $code, )* }
            }

            /// The mistake in a few words.
            pub fn title(self) -> &'static str {
                match self { $( Diagnosis::$variant => $title, )* }
            }

            /// What to try: specific, kind, tied to the handout.
            pub fn hint(self) -> &'static str {
                match self { $( Diagnosis::$variant => $hint, )* }
            }

            /// Looks a code up; `None` for an unknown code.
            pub fn from_code(code: &str) -> Option<Diagnosis> {
                match code { $( $code => Some(Diagnosis::$variant), )* _ => None }
            }
        }
    };
}

diagnoses! {
    OutputFormat = "output-format",
        "a required console line is missing, wrong, out of order or on the wrong stream",
        "Compare your lines with the expected transcript in the handout character by character: the [SERVER]/[CLIENT] prefix, one space after the colon, addresses written as 127.0.0.1:54321 (not as a Python tuple, nor with Java's leading /). Error lines go to stderr (print(..., file=sys.stderr), System.err, fprintf(stderr, ...), eprintln!), every other line to stdout: a logging library writes to stderr by default.";
    UnescapedMessage = "unescaped-message",
        "a message's control characters reach the console as they came",
        "Print a message from the network with its control characters escaped (`\\n`, `\\r`, `\\t`, `\\u{1b}`: Rust's escape_debug() does it, and Python's encode(\"unicode_escape\") or repr() near enough), in every line that shows it: the `Received:` and `Sent:` lines, and any line of your own (a debug print) alike. Printed as they came, a newline in a client's message starts a console line of the client's making that reads as the server's own, and an ESC sequence recolours or clears the terminal of whoever watches. The reply on the wire still carries the message exactly as it came.";
    StartupFailure = "startup-failure",
        "the program died while starting, before it listened or connected",
        "Run the same command yourself in the submission folder and read the error it ends with (a traceback's last line, the first line of a stack trace, a panic). ImportError / ModuleNotFoundError, ClassNotFoundException: a file or name is missing or misspelled (hand in every module you import, and what you compiled). `address already in use` at start: something else in your program took the port first, often a module that starts a server or opens a socket when it is imported; code at a module's top level runs on import, so put it under `if __name__ == \"__main__\":` (or in a function).";
    Hangs = "hangs",
        "the program is still running where the contract says it ends",
        "The report says what it was still doing. A one-shot program ends after its session: no second accept() or connect() after it, and no code at module level that runs another session when a module is imported. Make sure every loop has a way out and every wait a timeout.";
    WrongReply = "wrong-reply",
        "the reply is not what the contract says",
        "Build the reply from the bytes you actually received, in exactly the form the `expected:` line shows: no extra words, no line end the contract does not have, none missing where it has one. Send it with sendall/write_all, and never hard-code it; flush a buffered writer before you wait again (PrintWriter without autoflush, fdopen and fprintf without fflush). The one-shot and threaded servers: read up to LAB_BUFFER_SIZE bytes (1024 by default) in one recv (a smaller read cuts the message) and answer after that one read, never waiting for a newline or for more bytes the client never sends (readLine(), a loop until the peer closes, a length prefix such as readUTF()). The chat server: the opposite, keep a buffer and answer each line once its \\n has come, one `[ACK @HH:MM:SS] <line>\\n` per line.";
    MissingListen = "missing-listen",
        "nothing accepts connections on the announced port",
        "The ritual is socket → bind → listen → accept. Without listen() the port refuses connections and accept() fails. Print the Listening line only after listen() succeeded.";
    PortInUse = "port-in-use",
        "a busy port is not reported with an error line and a non-zero exit",
        "Catch the bind error (OSError / io::Error of kind AddrInUse), print `[SERVER] Error: cannot listen on HOST:PORT: address already in use` to stderr and exit 1. Find who holds a port with `lsof -i :PORT` or `ss -ltnp` (netstat -ano on Windows).";
    NoReuseaddr = "no-reuseaddr",
        "the server cannot restart on its port right after a session (TIME_WAIT)",
        "The side that closes first keeps the connection in TIME_WAIT for a while. Set SO_REUSEADDR on the listening socket before bind() so a restarted server can bind the same port at once.";
    EmptyRecv = "empty-recv",
        "a client closing its end (a read of 0 bytes) is not met right: the server crashes, hangs, spins, keeps the connection, or takes the 0 bytes for a message",
        "A receive that returns 0 bytes (b'' in Python, 0 from read()/recv() in C, Rust, Perl's sysread, -1 from Java's read(), Node's 'end' event) means the peer closed the connection. Check for it before decoding, and end that session there: say so (the one-shot server's `closed without sending` line when nothing came; a chat session's `Closed connection` line after its lines), close the socket, and stop reading it (take it out of a select()/poll() set): read again, it returns 0 bytes again at once, for ever.";
    BlankMessage = "blank-message",
        "a whitespace-only message is not answered with the contract's error reply",
        "Strip the decoded message and, when nothing is left, reply `ERROR: Empty message` instead of an ACK (extension B). In the chat, answer a blank line too (`[ERROR] Empty message`): every line gets exactly one reply, or the client waits for ever.";
    TooLong = "too-long",
        "the 100-character limit is not enforced exactly",
        "Count characters of the stripped message: 100 is still fine, 101 gets `ERROR: Message too long` (extension B). Watch for an off-by-one (> 100, not >= 100).";
    InvalidUtf8 = "invalid-utf8",
        "bytes that are not UTF-8 are not met with the contract's error reply (and, in the chat, the session going on)",
        "Decoding can fail: catch UnicodeDecodeError (or match on String::from_utf8) and reply the contract's error (`ERROR: Invalid UTF-8`; in the chat, the line `[ERROR] Invalid UTF-8`, after which the session goes on with the next line: no return, no close), instead of crashing or decoding with replacement characters (errors=\"replace\", from_utf8_lossy, Node's Buffer.toString(), Java's new String(bytes, UTF_8): each replaces what it cannot read, silently). A decoder that refuses (and raises, returns or reports an error you must handle): Python's bytes.decode(\"utf-8\") inside try/except UnicodeDecodeError, Rust's std::str::from_utf8, Node's new TextDecoder(\"utf-8\", { fatal: true }), Java's StandardCharsets.UTF_8.newDecoder() (it reports by default), C's iconv from UTF-8 (glibc's mbrtowc lets some through), or a validator of your own that checks every byte against the table of well-formed sequences.";
    NoClose = "no-close",
        "the server never closes the connection after its reply",
        "After sending the reply, close the connection socket (conn.close() / drop the stream). The client only sees the end of the conversation when you close.";
    ServerTimeout = "server-timeout",
        "the server waits forever on a client that sends nothing",
        "Set a timeout on the accepted connection (conn.settimeout(LAB_TIMEOUT) / set_read_timeout) and, when it fires, say the client sent nothing, close the connection and go on.";
    ClientRefused = "client-refused",
        "with nothing listening, the client crashes or hangs instead of a clear error",
        "Catch the connect error (ConnectionRefusedError / ErrorKind::ConnectionRefused), print `[CLIENT] Error: could not connect to HOST:PORT: connection refused (is the server running?)` to stderr and exit 1.";
    ClientTimeout = "client-timeout",
        "the client does not time out on a server that never replies (LAB_TIMEOUT, an error line, exit 1)",
        "Set a receive timeout of LAB_TIMEOUT seconds before recv (extension C); on timeout print `[CLIENT] Server did not respond in time` to stderr and exit 1.";
    NoConcurrency = "no-concurrency",
        "the threaded server makes a client wait while it serves others (one at a time, or a fixed few)",
        "Hand each accepted connection to its own thread and go straight back to accept(); do the recv/send in the thread, never in the accept loop (extension D); with Python's socketserver, ThreadingTCPServer (or ThreadingMixIn), not TCPServer. Do not wait for that thread (or a forked child) before the next accept(): a join() or waitpid() right after starting it serves one client at a time as surely as no thread at all; join threads (reap children with a SIGCHLD handler or waitpid(-1, WNOHANG)) only at shutdown or once they have ended.";
    SharedState = "shared-state",
        "threads share what belongs to one client: a reply, an address or a connection crosses to another client",
        "Everything one session uses (its connection, its buffer, the message, the reply, the client's address) must live in that session's own thread: local variables of the function the thread runs, or its parameters. A global, a static buffer in C, or a field of the server object is one variable for every thread at once: with clients at the same time, one thread's value overwrites another's (the handout's extension D names this trap). In C, hand the thread a copy of the socket (a malloc'ed int, or the value cast to a pointer), never &cfd: the next accept() overwrites it before the thread reads it. In C++, the lambda given to std::thread captures the socket by value (`[cfd, peer]` or `[=]`), never `[&]`, for the same reason. Keep globals for what all clients share on purpose (the count of busy places), behind a lock.";
    BusyCap = "busy-cap",
        "the threaded server does not serve exactly LAB_MAX_CLIENTS at once, refusing the next",
        "Count the clients being served (a semaphore or a counter under a lock; not threading.active_count(), which counts the main thread too), and decide in the accept loop, right after accept(), before the client is handed to a thread or a pool: a pool's queue keeps the extra client waiting instead of refusing it. When LAB_MAX_CLIENTS are busy, reply `ERROR: Server busy` to the new one and close it; with fewer busy, serve it. An event-loop server (Node, asyncio) counts its open sessions the same way: raised in the connection handler, lowered when the socket closes.";
    NoGracefulShutdown = "no-graceful-shutdown",
        "on SIGINT/SIGTERM the server does not shut down cleanly",
        "Handle SIGINT (Ctrl+C, KeyboardInterrupt) and SIGTERM: stop accepting, let clients in flight finish (join their threads before main returns: a detached thread, or a daemon thread in Python, dies with the process), print `[SERVER] Shutting down`, close the listening socket and exit 0. A flag alone does not wake a blocked accept(); where the signal does wake it, accept() fails with EINTR (\"Interrupted system call\"): that is the cue to shut down cleanly, not an error to die of. In Java a shutdown hook runs, but the JVM still exits 130 or 143 (128 + the signal) after it: handle the signal itself (sun.misc.Signal.handle) and end with System.exit(0), or end the hook with Runtime.getRuntime().halt(0) once the clients are done. In Python, give accept() a short timeout so KeyboardInterrupt gets through even when the signal lands on a client's thread. If your command is a wrapper script, start the server with `exec`; a launcher that passes Ctrl+C on to its child sends it twice (the terminal already signals the whole process group).";
    SecondListener = "second-listener",
        "the program opened a second listening socket after the one it announced",
        "Your program announced a new listener after its first session, so the clients it told about the first one find it gone. Usual cause: a module that runs its server when it is imported (code at its top level, such as a one-shot server imported for a helper): put that code under `if __name__ == \"__main__\":` or in a function. Otherwise: create the listening socket once, before the accept loop, never once per client.";
    ImportRunsServer = "import-runs-server",
        "the program imports another program of yours whose top level runs its server",
        "Code at a module's top level runs whenever another file imports it: importing the one-shot server for a helper (`from server import make_reply`) runs that whole server first, its one session and its exit included, before a line of your own program. Put the module's top-level code in a function, called under `if __name__ == \"__main__\":`, or move what both programs share (the message rules, the settings) into a module of its own that serves nothing.";
    SplitMessage = "split-message",
        "the byte stream is not cut into lines at each \\n (one TCP read taken for one message, or a line ended elsewhere)",
        "TCP is a byte stream: one read may hold half a line or several lines. Keep a buffer of bytes, append what you read, and take out complete lines ending in \\n one by one; decode a line only once it is whole (a character's bytes may be split between two reads). Only \\n ends a line: not a lone \\r (str.splitlines() and a text-mode reader with universal newlines end lines at \\r too).";
    SessionLimit = "session-limit",
        "a chat session's bounds are not the contract's: an endless line, or one sent a byte at a time, does not end it (or a line well under 64 KiB does)",
        "Keep the bytes of an unfinished line up to 64 KiB and end the session beyond that, so no client can grow your memory without limit. Time each whole line, not each read: when no complete line came within --idle-timeout seconds, close the session, however often bytes trickle in (a read timeout restarts at every byte, and a client sending one a second would hold a server that serves one caller at a time for ever).";
    LostMessage = "lost-message",
        "a chat message is acknowledged before it is safely in the log: missing after a kill, or not there yet when its ACK began to leave",
        "Write the log line and flush it before you send the ACK: Python file.flush() then os.fsync(file.fileno()); C fflush(f) then fsync(fileno(f)); Rust file.flush() then file.sync_data(); Java a FileOutputStream's flush() then getFD().sync(); Node fs.writeSync(fd, line) then fs.fsyncSync(fd) (a createWriteStream(), fs.appendFile() or fs.promises write later, after the ACK has left); Perl $fh->flush then $fh->sync (IO::Handle). A buffered file loses its buffer when the process is killed. Write it in the code that sends the ACK, not through another thread: a logger fed by a queue (Python's logging.handlers.QueueHandler, a writer thread) writes after the ACK has gone.";
    LogFormat = "log-format",
        "a chat log record is not in the contract's form",
        "Write one record per line: an RFC 3339 time with its offset from UTC (2026-09-14T10:31:07Z or +02:00; Python's datetime.now(timezone.utc).isoformat(), Rust's chrono to_rfc3339(), C's strftime with %Y-%m-%dT%H:%M:%SZ on gmtime(), in UTC; %z's +0000, without the colon RFC 3339 has, is taken too: it names the same instant), a space, the client's address as 127.0.0.1:54321, a space, then the message as it was sent, escaped: a backslash as \\\\, a newline, carriage return and tab as \\n, \\r and \\t, any other control character as \\u{HEX}. Seconds since 1970 or a clock time alone name no date; a time without an offset names no instant.";
    ExtraConnection = "extra-connection",
        "a program opens connections its one session does not need (a client's test connect, a server's connect to itself)",
        "Connect once and do everything on that connection: the client sends its message and reads the reply there, the chat client sends every line and reads every ACK there; then close. A \"test\" connect before the real one, or a second connect, is a session of its own to a one-shot server: it serves that empty connection (\"closed without sending\"), exits, and your real connection is refused or reset. A chat client that connects anew for each line makes each line a new caller. A server that connects to its own port to test it spends its one session on that connection in the same way: once it listens, it is ready. Look in the modules your program imports too: code at their top level (a `SERVER_UP = is_server_up()` in a shared helper file) runs in every program that imports them, at its start.";
    LogOverwritten = "log-overwritten",
        "the chat log loses the records it already held (opened for writing, not appending: when the server starts, or at each record)",
        "Open the log for appending, never for writing: Python open(path, \"a\"), C fopen(path, \"a\") or open() with O_APPEND, Rust OpenOptions::new().create(true).append(true), Java new FileOutputStream(path, true) or Files.newBufferedWriter(path, StandardOpenOption.CREATE, StandardOpenOption.APPEND) (with no options it empties the file), Node fs.appendFileSync or createWriteStream(path, { flags: \"a\" }), Perl open(my $fh, '>>', $path). Mode \"w\" (O_TRUNC) empties the file at every start, and open() with O_WRONLY | O_CREAT alone writes over it from its first byte: either way the records of earlier runs are lost.";
    StdoutBuffered = "stdout-buffered",
        "console output waits in a buffer: it appears late (when the program exits, or a prompt only when a newline follows)",
        "When stdout is a pipe (as under the grader, in a script or behind `| tee`) it is block-buffered: on a terminal your lines show, here they wait for the buffer to fill or the program to exit. Flush after each line in the program itself: print(..., flush=True) (or once at the top: sys.stdout.reconfigure(line_buffering=True)); in C fflush(stdout) after printf, or setvbuf(stdout, NULL, _IOLBF, 0) at the start of main; in C++ std::endl or << std::flush after each line (\"\\n\" does not flush), or std::cout << std::unitbuf once; in Rust flush a BufWriter after each line; in Java System.out.flush() after print, or flush() on your own PrintWriter or BufferedWriter after each line (new PrintWriter(System.out, true) flushes only on println); in Perl $| = 1 (or STDOUT->autoflush(1)) at the top. Settings outside the program (PYTHONUNBUFFERED, your terminal) do not count: the grader runs it without them. A prompt without a newline needs a flush of its own: io::stdout().flush() after print! in Rust, print(..., end=\"\", flush=True) in Python, at a terminal too; C's stdio flushes it before reading a terminal, not a pipe: fflush(stdout) after it. A line printed newline first (`print!(\"\\n[SERVER] ...\")`, `printf(\"\\n...\")`) waits, even line-buffered, until the next line's newline comes: end each line with its own newline instead.";
    Crash = "crash",
        "the program, or the thread serving a client, died where the contract expects it to go on",
        "Read the last lines of stderr above: a traceback or panic names the line. A server must never die because of what a client sent: catch the error for that client and keep serving (in Node, give every socket an 'error' listener, socket.on(\"error\", ...): an 'error' event with none ends the process; a try/catch cannot see it). Nor may a client die when the server closes or resets the connection: catch the error, say so in an error line on stderr, and exit 1. C and C++ print no traceback: a death by SIGSEGV or SIGABRT, or `terminate called after throwing` (a std::bad_alloc from a string grown past sense), is most often memory misused: a buffer read past the bytes recv() returned, an iterator or reference used after its container changed (erase() inside a loop that goes on with it), a freed pointer. Build with -g -fsanitize=address,undefined and run it again: the report names the line.";
    ResourceLimit = "resource-limit",
        "the program ran into a sandbox limit (memory, CPU time, processes, file size, open files)",
        "The grader runs every program with generous limits (see the observed figure). A correct program stays far below them: look for a loop that allocates, forks, writes or spins without end, and bound it.";
    ExitStatus = "exit-status",
        "the program exited with the wrong status",
        "Exit 0 after a normal session (a server's session that its timeout ended, with a client that sent nothing, is one), 1 after a runtime error (a client refused, or given up on a silent server; a port in use), 2 for a usage error. In Python: sys.exit(code); in Rust: return an ExitCode from main (ExitCode::from(code)), or std::process::exit(code); in C and C++: return code from main.";
    IgnoresConfig = "ignores-config",
        "the program does not use the configuration it is given (environment or options)",
        "Read LAB_HOST, LAB_PORT, LAB_BUFFER_SIZE, LAB_TIMEOUT and LAB_MAX_CLIENTS from the environment, with the handout's defaults, in one place (config.py / config.rs), instead of hard-coding them; and honour the options on your command line (such as --log FILE). A server binds the address LAB_HOST gives, not every address (INADDR_ANY, \"\" or 0.0.0.0, a Java ServerSocket made with a port alone), even if it prints 127.0.0.1.";
    WrongMessage = "wrong-message",
        "the client sent something other than the message it was given, or nothing at all",
        "Send exactly the messages from the command line, and with none, the handout's defaults (the client's `Hello Server`; the chat client's three helpdesk lines, without prompting: prompting is for -i); chat clients end each message with \\n, and the one-shot client sends its message bare, with no \\n. Never hard-code the message. If nothing arrived at all, the lines are still in your program's buffer: flush the writer after each message (a PrintWriter without autoflush, a BufWriter, fprintf on an fdopen'd socket).";
    ReadsAhead = "reads-ahead",
        "the chat client reads every line before it sends one: what a person types waits until the input ends",
        "Connect first, then loop: prompt, read one line, send it, read and print its ACK, and prompt again. A client that collects every line before it connects (or before it sends) works through a pipe, where the input ends at once, but not for a person at a terminal, who types a line, waits for its ACK, and gets nothing until Ctrl+D.";
    ClientEof = "client-eof",
        "the client does not notice that the server closed without replying",
        "A receive that returns 0 bytes is not a reply: the server closed the connection. Print that it closed without replying to stderr and exit 1.";
    ClosedEarly = "closed-early",
        "the client closes its connection before the replies to what it sent have come",
        "A reply is still on its way when your send returns: read it before you close. The one-shot client: recv() the reply before close() or shutdown(SHUT_RDWR) (shutting down only the sending side, SHUT_WR, is fine). The chat client: read each ACK before you send the next line, or keep reading until every line you sent has its ACK, and only then close. A thread that receives must be waited for before the program ends: in Python not a daemon thread left behind when the main thread returns (join() it), in Java join() it, in C pthread_join(). In Node, end only once the last ACK has come (count them where you read them, then socket.end()), never from a timer (setTimeout(() => process.exit())) nor with socket.destroy() while replies are due.";
    EmptyArgument = "empty-argument",
        "the client does not refuse an empty message argument (a usage error, exit 2, nothing sent)",
        "Check the message before connecting: if it is empty, print a usage error that says it is empty to stderr and exit 2 without sending anything.";
    InventedReply = "invented-reply",
        "the client prints the reply it expected, not the bytes the server sent",
        "Print what recv() returned, whatever it is: a server may answer `ERROR: Server busy` or `ERROR: Message too long` instead of the ACK. A Received line built from the message you sent (`\"ACK: \" + message`) shows what you hoped for, not what came.";
    ExtraArguments = "extra-arguments",
        "the client does not refuse a message of several words given without quotes (a usage error, exit 2, nothing sent)",
        "Without quotes, each word is an argument of its own: `client Hello Server` gives your program two. Reading only the first (sys.argv[1], args[0], argv[1]) quietly sends `Hello`. Refuse more than one message argument before connecting: print an error naming the extra one, with a tip to put the message in quotes, to stderr and exit 2 without sending anything.";
    ExitsEarly = "exits-early",
        "a long-running server stops serving new clients: it exits, no longer calls accept(), or drops a new caller unread",
        "Wrap accept() and the session in a loop (extension A) that only ends on Ctrl+C / SIGTERM, and make sure that loop comes back to accept() for every new client: no exit, break or uncaught error on the way, and in a select()/poll() loop the descriptor set and the timeout filled again before every call (select() changes both).";
    BusyLeak = "busy-leak",
        "a finished client's slot is never given back",
        "Release the slot when a client's session ends, on every path, an error included: Python try/finally, Java finally, C each return; in Rust a guard whose Drop gives it back, since the code after an unwrap() that panics never runs (and replace that unwrap with a match that ends the session). A server that forks a process per client gives it back when it reaps the child, with waitpid. Otherwise the server ends up refusing everyone as busy.";
    NotImplemented = "not-implemented",
        "the program says it is not written yet",
        "Your program says so itself (quoted above): open the file and the TODO step it names, write that step, and run the check again.";
    GraderError = "grader-error",
        "the grader itself failed during this check",
        "This is a bug in netlab, not in your program: please report it with the seed and the command line.";
    CannotStart = "cannot-start",
        "the command could not be started",
        "The program did not get going. Run the same command yourself and read what it says: under netlab grade, commands come from netlab.toml or the --server/--client flags and run in the submission folder; under cargo test in a lab folder, they are your crate's binaries.";
}

impl From<Diagnosis> for &'static str {
    fn from(d: Diagnosis) -> &'static str {
        d.code()
    }
}

impl std::fmt::Display for Diagnosis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_round_trip() {
        let mut seen = std::collections::HashSet::new();
        for d in Diagnosis::ALL {
            assert!(seen.insert(d.code()), "duplicate code {}", d.code());
            assert_eq!(Diagnosis::from_code(d.code()), Some(*d));
            assert!(!d.hint().is_empty() && !d.title().is_empty());
        }
        assert_eq!(Diagnosis::from_code("no-such-code"), None);
    }
}
