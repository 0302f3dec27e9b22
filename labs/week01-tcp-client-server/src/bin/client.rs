//! Week 1 starter: the TCP client.
//!
//! `client [MESSAGE]` connects to the server, sends MESSAGE (default
//! `Hello Server`), prints the reply, closes and exits 0.
//!
//! Work through the `TODO(week01)` markers in order; copy the console lines
//! exactly. Run it with `cargo run --bin client -- "your message"` while your
//! server runs in another terminal, and grade it with
//! `cargo test stage2` (stage 2, the client's checks).
//!
//! Until you replace the body of `run`, the program says it is not written
//! yet and exits 1.

use std::process::ExitCode;
// LAB_HOST, LAB_PORT, LAB_BUFFER_SIZE, ...: the settings all five programs
// share, read in one place (src/config.rs).
use week01_tcp_client_server::config::Config;

/// How `run` fails: the exit status and the message for stderr.
/// Status 2 means a usage error (the command line was wrong), 1 a runtime
/// failure (the network or the server let us down).
type Failure = (u8, String);

fn main() -> ExitCode {
    // TODO(week01): step 1, read the configuration. Done for you.
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(message) => {
            eprintln!("[CLIENT] Error: {message}");
            return ExitCode::from(2);
        }
    };
    // The command-line arguments after the program's name.
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&config, &args) {
        Ok(()) => ExitCode::SUCCESS,
        // Errors go to stderr, never stdout.
        Err((status, message)) => {
            eprintln!("[CLIENT] {message}");
            ExitCode::from(status)
        }
    }
}

/// One request and its response.
fn run(config: &Config, args: &[String]) -> Result<(), Failure> {
    // TODO(week01): step 2, choose the message: the first argument, or
    // "Hello Server" when there is none. An empty argument (`client ""`) is a
    // usage error: return Err((2, ...)) with a message containing
    // "empty", before connecting, so nothing is sent. So is more than one
    // argument (`client Hello Server`): say to put the message in quotes.
    //
    // TODO(week01): step 3, connect to (config.host, config.port) with
    // `std::net::TcpStream::connect`. connect() performs TCP's three-way
    // handshake and returns once the server's kernel has answered. If nothing
    // listens there (io::ErrorKind::ConnectionRefused), return
    //   Err((1, format!("Error: could not connect to {host}:{port}: connection refused (is the server running?)")))
    // Otherwise print
    //   [CLIENT] Connected to 127.0.0.1:5000
    //
    // TODO(week01): step 4, send the whole message with `write_all` (a plain
    // `write` may send only part of it) and print
    //   [CLIENT] Sending: Hello Server
    //
    // TODO(week01): step 5, wait for the reply: set a read timeout of
    // config.timeout_secs (`set_read_timeout`), then ONE `read` into a buffer
    // of config.buffer_size bytes.
    // - a timeout (io::ErrorKind::WouldBlock or TimedOut): return
    //   Err((1, "Server did not respond in time".to_string()))
    // - 0 bytes: the server closed without replying; a 0-byte read is the end
    //   of the stream, not an empty reply. Return Err((1, ...)) with a
    //   message that contains "without replying".
    // - n bytes: print
    //   [CLIENT] Received: ACK: Hello Server
    //
    // TODO(week01): step 6, close the connection (drop the stream) and print
    //   [CLIENT] Closed connection
    // then return Ok(()) so the program exits 0.
    Err((
        1,
        format!(
            "not implemented yet: open src/bin/client.rs, TODO(week01) step 2 \
         (config: {}:{}, buffer {} bytes, timeout {} s; {} argument(s))",
            config.host,
            config.port,
            config.buffer_size,
            config.timeout_secs,
            args.len()
        ),
    ))
}
