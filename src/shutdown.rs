//! Stopping a server cleanly on Ctrl+C (SIGINT) or `kill` (SIGTERM).
//!
//! A [`Shutdown`] is a shared flag. The signal handler sets it; the server's
//! accept loop checks it after every `accept()` and stops: it prints
//! `[SERVER] Shutting down`, closes the listening socket and exits 0, so the
//! port is free again.
//!
//! Trap: setting a flag is not enough. The server is asleep inside
//! `accept()`, and the handler is installed with SA_RESTART, so the kernel
//! quietly restarts `accept()` after the signal — the loop never gets to see
//! the flag. The fix used here works on every OS: after setting the flag,
//! [`Shutdown::trigger`] connects once to the server's own listening address.
//! That connection wakes `accept()`, the loop checks the flag, and stops.
//!
//! A stop lets the clients in flight finish (each session is bounded by its
//! timeout). Servers mark each session with [`Shutdown::busy`]; if sessions
//! are running when the first Ctrl+C comes, the console says how many it
//! waits for. A second Ctrl+C (or SIGTERM) does not wait: it says so and
//! quits at once with exit status 130 (128 + SIGINT, the shell's convention
//! for "interrupted"), cutting those sessions off.
//!
//! Tests drive it without signals: [`Shutdown::new`], [`Shutdown::trigger`]
//! and [`Shutdown::signalled`].

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use crate::console::{count, Role};

/// The exit status of a server forced to quit by a second Ctrl+C.
pub const FORCED_EXIT: i32 = 130;

/// A shared "please stop" flag that can wake a blocking `accept()`.
#[derive(Debug, Clone, Default)]
pub struct Shutdown {
    inner: Arc<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    stop: AtomicBool,
    /// Where to connect to wake the accept loop.
    wake: Mutex<Option<SocketAddr>>,
    /// Stop signals received so far (Ctrl+C, SIGTERM).
    signals: AtomicUsize,
    /// Client sessions running now (see [`Shutdown::busy`]).
    in_flight: AtomicUsize,
}

/// What a stop signal asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The first one: stop accepting, let the sessions in flight finish.
    /// `waiting` is how many there are (0: the server just stops).
    Drain { waiting: usize },
    /// A later one: quit now, cutting off `cut_off` sessions.
    QuitNow { cut_off: usize },
}

/// Marks one running client session; dropping it (when the session ends,
/// even by a panic) takes it off the count.
#[derive(Debug)]
pub struct Busy(Arc<Inner>);

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The process-wide handle the signal handler sets (installed once).
static INSTALLED: OnceLock<Shutdown> = OnceLock::new();

impl Shutdown {
    /// A flag that is not connected to any signal (for tests, or for code
    /// that decides by itself when to stop).
    pub fn new() -> Shutdown {
        Shutdown::default()
    }

    /// The flag set by SIGINT and SIGTERM (Ctrl+C on Windows). The handler is
    /// installed the first time this is called; later calls return the same
    /// flag.
    pub fn install() -> Result<Shutdown, ctrlc::Error> {
        if let Some(shutdown) = INSTALLED.get() {
            return Ok(shutdown.clone());
        }
        let shutdown = Shutdown::new();
        let for_handler = shutdown.clone();
        // ctrlc runs this closure on a thread of its own, not inside the
        // signal handler, so it may do real work such as connecting, printing
        // and exiting.
        ctrlc::set_handler(move || match for_handler.signalled() {
            Verdict::Drain { waiting: 0 } => {}
            Verdict::Drain { waiting } => Role::Server.say(format_args!(
                "Waiting for {} to finish (Ctrl+C again to quit at once)",
                count(waiting, "client")
            )),
            Verdict::QuitNow { cut_off } => {
                Role::Server.say(format_args!(
                    "Second Ctrl+C: quitting at once ({} cut off)",
                    count(cut_off, "client")
                ));
                std::process::exit(FORCED_EXIT);
            }
        })?;
        Ok(INSTALLED.get_or_init(|| shutdown).clone())
    }

    /// Remembers the listening socket to wake when the flag is set.
    pub fn watch(&self, listener: &TcpListener) {
        let Ok(local) = listener.local_addr() else {
            return;
        };
        // A server bound to 0.0.0.0 ("every interface") is reached on
        // loopback; connecting to 0.0.0.0 itself does not work everywhere.
        let ip = match local.ip() {
            IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
            ip => ip,
        };
        *self.wake() = Some(SocketAddr::new(ip, local.port()));
    }

    /// Sets the flag and wakes the watched listener, if any.
    pub fn trigger(&self) {
        self.inner.stop.store(true, Ordering::SeqCst);
        let target = *self.wake();
        if let Some(addr) = target {
            // The connection itself is the message; close it at once. If it
            // fails, the listener is already gone: nothing left to wake.
            let _ = TcpStream::connect_timeout(&addr, Duration::from_secs(1));
        }
    }

    /// Records one stop signal and says what it asks for: the first
    /// triggers the stop (and wakes the listener), a later one asks to quit
    /// at once. The caller (the signal handler) prints and exits.
    pub fn signalled(&self) -> Verdict {
        let before = self.inner.signals.fetch_add(1, Ordering::SeqCst);
        let running = self.inner.in_flight.load(Ordering::SeqCst);
        if before == 0 {
            self.trigger();
            Verdict::Drain { waiting: running }
        } else {
            Verdict::QuitNow { cut_off: running }
        }
    }

    /// Counts one client session as running until the guard is dropped, so
    /// a stop can say how many it waits for.
    pub fn busy(&self) -> Busy {
        self.inner.in_flight.fetch_add(1, Ordering::SeqCst);
        Busy(Arc::clone(&self.inner))
    }

    /// Has a stop been asked for?
    pub fn is_triggered(&self) -> bool {
        self.inner.stop.load(Ordering::SeqCst)
    }

    fn wake(&self) -> std::sync::MutexGuard<'_, Option<SocketAddr>> {
        self.inner.wake.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::thread;

    #[test]
    fn trigger_wakes_a_blocking_accept() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let shutdown = Shutdown::new();
        shutdown.watch(&listener);
        let waiter = {
            let shutdown = shutdown.clone();
            thread::spawn(move || {
                // Without the wake-up connection this accept would block forever.
                let _ = listener.accept();
                shutdown.is_triggered()
            })
        };
        thread::sleep(Duration::from_millis(50));
        assert!(!shutdown.is_triggered());
        shutdown.trigger();
        assert!(waiter.join().unwrap());
    }

    #[test]
    fn a_second_signal_asks_to_quit_and_counts_the_sessions_cut_off() {
        let shutdown = Shutdown::new();
        let first = shutdown.busy();
        let second = shutdown.busy();
        drop(second);
        assert!(!shutdown.is_triggered());
        assert_eq!(shutdown.signalled(), Verdict::Drain { waiting: 1 });
        assert!(shutdown.is_triggered());
        assert_eq!(shutdown.signalled(), Verdict::QuitNow { cut_off: 1 });
        drop(first);
        assert_eq!(shutdown.signalled(), Verdict::QuitNow { cut_off: 0 });
        let idle = Shutdown::new();
        assert_eq!(idle.signalled(), Verdict::Drain { waiting: 0 });
    }

    #[test]
    fn trigger_without_a_listener_just_sets_the_flag() {
        let shutdown = Shutdown::new();
        shutdown.trigger();
        assert!(shutdown.is_triggered());
    }
}
