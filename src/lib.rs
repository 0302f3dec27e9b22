//! netlab: the repository of a network-fundamentals course.
//!
//! The library holds everything the thin binaries in `src/bin/` call:
//!
//! - the Week 1 reference programs, written so a beginner can read them top to
//!   bottom: [`config`], [`console`], [`ritual`] (the socket steps), [`message`]
//!   (the message rules), [`shutdown`], [`logger`], and the programs themselves
//!   in [`server`], [`client`], [`threaded`] and [`chat`];
//! - [`process`], the child-process harness shared by the grader, the trace
//!   and the tests (deadlines, process groups, kill on drop);
//! - [`grade`], which launches any submission as real processes and names the
//!   mistake behind each failure;
//! - [`trace`], which shows the packets of a real session;
//! - [`demo`], the classroom demo: one session as a tagged timeline;
//! - [`wrap`], fitting text to the terminal's width (hanging indents).
//!
//! See ARCHITECTURE.md for the map and the rules on what may use what.

pub mod chat;
pub mod client;
pub mod config;
pub mod console;
pub mod demo;
pub mod grade;
pub mod logger;
pub mod message;
pub mod process;
pub mod reference;
pub mod ritual;
pub mod sandbox;
pub mod server;
pub mod shutdown;
pub mod threaded;
pub mod trace;
pub mod wrap;
