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
//! Tests drive it without signals: [`Shutdown::new`] and [`Shutdown::trigger`].

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

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
        // signal handler, so it may do real work such as connecting.
        ctrlc::set_handler(move || for_handler.trigger())?;
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
    fn trigger_without_a_listener_just_sets_the_flag() {
        let shutdown = Shutdown::new();
        shutdown.trigger();
        assert!(shutdown.is_triggered());
    }
}
