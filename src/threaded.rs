//! The threaded server (extension D): each client in a thread of its own.
//!
//! The accept loop does nothing but accept; every session runs in its own
//! thread, so a client that connects and then idles never delays another.
//! Two limits keep it safe:
//!
//! - at most `max_clients` sessions at once; one more is told
//!   `ERROR: Server busy` and closed (threads are not free: each has a
//!   stack, and an attacker could otherwise open thousands);
//! - each session waits at most `timeout` for its client, so on shutdown the
//!   server can let clients in flight finish and still stop in bounded time.

use std::io::{self, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle};

use crate::config::Config;
use crate::console::{count, Role};
use crate::message;
use crate::server;
use crate::shutdown::Shutdown;

const SERVER: Role = Role::Server;

/// Serves clients concurrently until `shutdown`, then waits for the
/// sessions in flight and returns.
pub fn run(listener: TcpListener, config: &Config, shutdown: &Shutdown) -> io::Result<()> {
    SERVER.say(format_args!("Listening on {}", listener.local_addr()?));
    shutdown.watch(&listener);

    // How many sessions are running right now.
    let active = Arc::new(AtomicUsize::new(0));
    let mut sessions: Vec<JoinHandle<()>> = Vec::new();

    // accept() — the same as the one-shot server, in a loop.
    while let Some((stream, peer)) = server::accept_next(&listener, shutdown) {
        sessions.retain(|session| !session.is_finished());

        // Count the client in here, in the accept loop, before its thread
        // starts: a burst of connections cannot slip past the limit.
        if active.load(Ordering::SeqCst) >= config.max_clients {
            refuse(stream, peer, config);
            continue;
        }
        let seat = Seat::take(&active);
        // Counted for a Ctrl+C before the thread starts, like the seat.
        let busy = shutdown.busy();
        let session_config = config.clone();
        let spawned = thread::Builder::new()
            .name(format!("client {peer}"))
            .spawn(move || {
                let _seat = seat; // given back when the session ends
                let _busy = busy;
                server::serve(stream, peer, &session_config, false, true);
            });
        match spawned {
            Ok(session) => sessions.push(session),
            // The closure was dropped: its stream is closed, its seat freed.
            Err(e) => SERVER.error(format_args!("cannot start a thread for {peer}: {e}")),
        }
    }

    // Stop accepting: close the listening socket, so new clients are refused
    // at once instead of waiting in the backlog.
    drop(listener);
    // The Ctrl+C handler has said how many clients are in flight (see
    // shutdown.rs); a second Ctrl+C quits without waiting for them. Each
    // session ends within the timeout (its reads and writes are bounded),
    // so this wait is bounded too.
    for session in sessions {
        let _ = session.join();
    }
    SERVER.say("Shutting down");
    Ok(())
}

/// Tells a client over the limit that the server is busy, and hangs up.
fn refuse(mut stream: TcpStream, peer: SocketAddr, config: &Config) {
    let _ = stream.set_write_timeout(Some(config.timeout));
    let _ = stream.write_all(message::BUSY.as_bytes());
    // A client that sent its message at once would otherwise get a reset.
    server::discard_unread(&mut stream);
    SERVER.say(format_args!(
        "{peer} refused: server busy ({})",
        count(config.max_clients, "client")
    ));
}

/// One of the `max_clients` places, held by a running session. Dropping it
/// (when the session ends, even by a panic) gives the place back.
struct Seat(Arc<AtomicUsize>);

impl Seat {
    fn take(active: &Arc<AtomicUsize>) -> Seat {
        active.fetch_add(1, Ordering::SeqCst);
        Seat(Arc::clone(active))
    }
}

impl Drop for Seat {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}
