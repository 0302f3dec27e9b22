//! Your shared code for Week 1: what every program in `src/bin/` needs.
//!
//! Each binary in `src/bin/` is a program of its own, but they all share
//! this library (`use week01_tcp_client_server::...`). Put here what more
//! than one program needs: then a change is made once, and every program
//! picks it up. It starts with the configuration; you may add your own
//! modules (a shared `handle_client`, a line reader) as the labs go on.

pub mod config;
