//! Week 1 starter: the threaded server (extension D).
//!
//! Runs until Ctrl+C (SIGINT) or SIGTERM. Every client is served in a thread
//! of its own, so a slow or silent client never delays another; at most
//! LAB_MAX_CLIENTS are served at once, and one more is turned away politely.
//!
//! Do this after your one-shot `server` passes its checks: the session with
//! one client is the same, so start by copying your `server.rs` logic into
//! `handle_client`. Grade it with `cargo test stage3`.
//!
//! Until you replace the body of `run`, the program says it is not written
//! yet and exits 1.

use std::process::ExitCode;
// LAB_HOST, LAB_PORT, LAB_BUFFER_SIZE, ...: the settings all five programs
// share, read in one place (src/config.rs).
use week01_tcp_client_server::config::Config;

fn main() -> ExitCode {
    // TODO(week01): step 1, read the configuration. Done for you.
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
            eprintln!("[SERVER] {message}");
            ExitCode::from(1)
        }
    }
}

/// Serves clients until asked to stop.
fn run(config: &Config) -> Result<(), String> {
    // TODO(week01): step 2, create the socket, bind and listen, exactly as in
    // your one-shot server (same error line and exit 1 for a busy port), and
    // print
    //   [SERVER] Listening on 127.0.0.1:5000
    //
    // TODO(week01): step 3, stop on Ctrl+C and SIGTERM. The `ctrlc` crate
    // (already a dependency, with SIGTERM support) runs a closure on either
    // signal. Trap: a handler that only sets an AtomicBool does not wake up an
    // accept() that is blocked waiting for a client. Let the handler set the
    // flag AND connect once to the listener's own address; the accept loop
    // checks the flag after every accept().
    //
    // TODO(week01): step 4, the accept loop. For each client, count it in an
    // `Arc<AtomicUsize>` of active clients.
    // - Over config.max_clients: reply `ERROR: Server busy`, close, print
    //     [SERVER] 127.0.0.1:54321 refused: server busy (64 clients)
    // - Otherwise print
    //     [SERVER] Connection from 127.0.0.1:54321
    //   and `std::thread::spawn` a thread that serves it (step 5). Keep the
    //   JoinHandles, so shutdown can wait for them.
    //
    // TODO(week01): step 5, `handle_client` (write it as a function): the same
    // session as the one-shot server (read timeout, one read, `ACK: <message>`
    // or an ERROR reply, close), with every line naming the client:
    //   [SERVER] 127.0.0.1:54321 Received: Hello Server
    //   [SERVER] 127.0.0.1:54321 Sent: ACK: Hello Server
    //   [SERVER] 127.0.0.1:54321 Closed connection
    // A client thread must never bring the server down: handle every error
    // (no unwrap on network results), and decrease the count when done.
    //
    // TODO(week01): step 6, shut down: when the flag is set, stop accepting,
    // print
    //   [SERVER] Shutting down
    // let the clients in flight finish (wait at most config.timeout_secs for
    // their threads), close the listener and return Ok(()) (exit 0).
    Err(format!(
        "not implemented yet: open src/bin/server_threaded.rs, TODO(week01) step 2 \
         (config: {}:{}, buffer {} bytes, timeout {} s, at most {} clients)",
        config.host, config.port, config.buffer_size, config.timeout_secs, config.max_clients
    ))
}
