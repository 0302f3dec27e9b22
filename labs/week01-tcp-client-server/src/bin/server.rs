//! Week 1 starter: the one-shot TCP server (the MVP).
//!
//! Serve exactly one client, then exit 0:
//! wait for a connection, read one message, reply `ACK: <message>`, close.
//!
//! Work through the `TODO(week01)` markers in order. Each one says which
//! console line to print; the grader compares them character for character,
//! so copy them exactly. Run your server with `cargo run --bin server` and
//! grade it with `cargo test stage1` (stage 1, the server's checks) from here.
//!
//! Until you replace the body of `run`, the program says it is not written
//! yet and exits 1.

use std::process::ExitCode;
// LAB_HOST, LAB_PORT, LAB_BUFFER_SIZE, ...: the settings all five programs
// share, read in one place (src/config.rs).
use week01_tcp_client_server::config::Config;

fn main() -> ExitCode {
    // TODO(week01): step 1, read the configuration. Done for you: `Config`
    // holds LAB_HOST, LAB_PORT, LAB_BUFFER_SIZE and LAB_TIMEOUT. A bad value
    // is a usage error: message on stderr, exit 2.
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(message) => {
            eprintln!("[SERVER] Error: {message}");
            return ExitCode::from(2);
        }
    };
    match run(&config) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            // Errors go to stderr, never stdout, and the exit status is 1.
            eprintln!("[SERVER] {message}");
            ExitCode::from(1)
        }
    }
}

/// One session: everything from the socket to the final close.
fn run(config: &Config) -> Result<(), String> {
    // TODO(week01): step 2, create the socket and bind it to
    // (config.host, config.port). `std::net::TcpListener::bind` creates the
    // socket, sets SO_REUSEADDR (on Linux and macOS), binds and listens in
    // one call; with the `socket2` crate you can do each step yourself:
    // `Socket::new(Domain::IPV4, Type::STREAM, None)`,
    // `set_reuse_address(true)` (see TIME_WAIT in the README), `bind`.
    // If the port is taken (io::ErrorKind::AddrInUse), give up with
    //   return Err(format!("Error: cannot listen on {host}:{port}: address already in use"));
    // `main` adds the `[SERVER] ` prefix, prints it on stderr and exits 1.
    //
    // TODO(week01): step 3, listen. Only now does the kernel accept
    // connections for you (with socket2: `listen(128)`; a tiny backlog such as
    // 5 drops connections under load). Then print the real address: ask the
    // listener with `local_addr()`, because with LAB_PORT=0 the port is chosen
    // by the system.
    //   [SERVER] Listening on 127.0.0.1:5000
    //
    // TODO(week01): step 4, accept one client. `accept()` blocks until a
    // client has connected and returns a new socket for that one client.
    //   [SERVER] Connection from 127.0.0.1:54321
    //
    // TODO(week01): step 5, read one message: ONE `read` into a buffer of
    // config.buffer_size bytes. Set a read timeout of config.timeout_secs
    // first, so a client that says nothing cannot keep you waiting forever.
    // Three outcomes to handle, none of them may crash the server:
    // - 0 bytes: the client closed without sending. Print a line that says
    //   so (it must contain "without sending"), close, exit 0.
    // - a timeout (io::ErrorKind::WouldBlock or TimedOut): print a line that
    //   contains "sent nothing", close, exit 0.
    // - n bytes: decode them with `std::str::from_utf8` and print
    //   [SERVER] Received: Hello Server
    //
    // TODO(week01): step 6, reply `ACK: <message>` (no newline) with
    // `write_all`, and print
    //   [SERVER] Sent: ACK: Hello Server
    // Extension B adds the message rules here: trim the whitespace; empty →
    // `ERROR: Empty message`; over 100 characters → `ERROR: Message too long`;
    // not UTF-8 → `ERROR: Invalid UTF-8` (print `[SERVER] Rejected: invalid
    // UTF-8 (N bytes)` instead of the Received line).
    //
    // TODO(week01): step 7, close the connection (drop the stream; calling
    // `shutdown(Shutdown::Both)` first makes it explicit) and the listener,
    // then print
    //   [SERVER] Closed connection
    // and return Ok(()) so the program exits 0.
    //
    // Tip: print with println!. When your stdout is a pipe (as under the
    // grader), Rust still writes each println! line at once; other languages
    // need an explicit flush.
    Err(format!(
        "not implemented yet: open src/bin/server.rs, TODO(week01) step 2 \
         (config: {}:{}, buffer {} bytes, timeout {} s)",
        config.host, config.port, config.buffer_size, config.timeout_secs
    ))
}
