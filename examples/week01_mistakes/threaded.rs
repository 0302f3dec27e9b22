//! The `threaded-server` role (extension D): serves until SIGINT/SIGTERM,
//! each client in a thread of its own, at most LAB_MAX_CLIENTS at once.
//! Shutdown stops accepting, lets the clients in flight finish (bounded by
//! LAB_TIMEOUT), prints `[SERVER] Shutting down` and exits 0.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crate::common::{describe, mistake, say, Config, Mistake, USAGE};
use crate::server::{listen_until_stopped, session, Voice};

/// Gives back a client's place when its thread ends, even if it panics.
struct Place(Arc<AtomicUsize>);

impl Drop for Place {
    fn drop(&mut self) {
        if mistake(Mistake::BusyLeak) {
            // MISTAKE(busy-leak): the student counts clients in but never
            // out (no `active -= 1` when a session ends). After
            // LAB_MAX_CLIENTS clients, the server turns everyone away as
            // busy, forever.
            return;
        }
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

pub fn run(cfg: &Config, args: &[String]) -> i32 {
    if let Some(extra) = args.first() {
        eprintln!("[SERVER] Error: unexpected argument {extra:?} (configure with LAB_*)");
        return USAGE;
    }
    let (listener, stop) = match listen_until_stopped(cfg) {
        Ok(pair) => pair,
        Err(code) => return code,
    };

    let active = Arc::new(AtomicUsize::new(0));
    let mut handlers: Vec<JoinHandle<()>> = Vec::new();
    for conn in listener.incoming() {
        // The shutdown handler's own connection wakes us here.
        if stop.load(Ordering::SeqCst) {
            break;
        }
        let stream = match conn {
            Ok(stream) => stream,
            Err(e) => {
                // e.g. too many open files: wait a little instead of spinning.
                eprintln!("[SERVER] Error: accept failed: {}", describe(&e));
                thread::sleep(Duration::from_millis(100));
                continue;
            }
        };
        let Ok(peer) = stream.peer_addr() else {
            continue; // the client is already gone
        };
        handlers.retain(|h| !h.is_finished());

        if mistake(Mistake::BusyCap) {
            // MISTAKE(busy-cap): no limit. Every client gets a thread, so a
            // crowd of idle clients eats threads and memory without bound and
            // nobody is ever told `ERROR: Server busy`.
        } else if active.load(Ordering::SeqCst) >= cfg.max_clients {
            refuse(stream, peer, cfg.max_clients);
            continue;
        }

        say(format!("[SERVER] Connection from {peer}"));
        if mistake(Mistake::NoConcurrency) {
            // MISTAKE(no-concurrency): the session runs in the accept loop
            // itself. While one client idles (up to LAB_TIMEOUT), every other
            // client waits in the backlog.
            session(stream, cfg, &Voice::threaded(peer));
            continue;
        }

        active.fetch_add(1, Ordering::SeqCst);
        let place = Place(Arc::clone(&active));
        let cfg_for_thread = cfg.clone();
        let spawned = thread::Builder::new()
            .name(format!("client {peer}"))
            .spawn(move || {
                let _place = place;
                session(stream, &cfg_for_thread, &Voice::threaded(peer));
            });
        match spawned {
            Ok(handle) => handlers.push(handle),
            Err(e) => {
                // The closure (and the stream in it) is dropped: the client
                // sees the connection close.
                eprintln!("[SERVER] Error: cannot start a thread for {peer}: {e}");
            }
        }
    }

    // Stop taking new clients, then let those in flight finish: each one's
    // session is bounded by LAB_TIMEOUT, so this wait is too.
    drop(listener);
    say("[SERVER] Shutting down");
    let deadline = Instant::now() + cfg.timeout + Duration::from_secs(1);
    while handlers.iter().any(|h| !h.is_finished()) && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(20));
    }
    0
}

/// Tells a client over the cap that the server is busy, without holding up
/// the accept loop.
fn refuse(mut stream: TcpStream, peer: SocketAddr, cap: usize) {
    say(format!(
        "[SERVER] {peer} refused: server busy ({cap} clients)"
    ));
    // If no thread can be started, the closure (and the stream in it) is
    // dropped, which closes the connection at once: still a refusal.
    let _ = thread::Builder::new().spawn(move || {
        let _ = stream.write_all(b"ERROR: Server busy");
        // Close gently: send our FIN, then read (and drop) whatever the client
        // sent. Closing with unread data would send a RST instead, and a RST
        // can destroy the reply before the client has read it.
        let _ = stream.shutdown(Shutdown::Write);
        let _ = stream.set_read_timeout(Some(Duration::from_millis(200)));
        let until = Instant::now() + Duration::from_secs(2);
        let mut sink = [0u8; 512];
        while Instant::now() < until {
            match stream.read(&mut sink) {
                Ok(n) if n > 0 => continue,
                _ => break,
            }
        }
    });
}
