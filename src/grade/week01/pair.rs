//! Pair checks: the submission's own client against its own server, as a
//! student runs them in two terminals.

use super::common::{expect_exit, is_chat_ack};
use crate::grade::diagnosis::Diagnosis;
use crate::grade::harness::{fail, Ctx, Failure, SLACK};
use crate::grade::Role;
use crate::process::Stream;

pub fn session(ctx: &mut Ctx) -> Result<(), Failure> {
    let (server, addr) = ctx.start_server(Role::Server, &[], &[])?;
    let message = ctx.message(20);
    let client = ctx.spawn(
        Role::Client,
        std::slice::from_ref(&message),
        &[("LAB_PORT", addr.port().to_string())],
    )?;
    expect_exit(ctx, client, SLACK + SLACK, 0, Diagnosis::Crash)?;
    let want = format!("[CLIENT] Received: ACK: {message}");
    if !ctx
        .child(client)
        .lines(Stream::Stdout)
        .iter()
        .any(|l| l.trim_end() == want)
    {
        return Err(fail(
            Diagnosis::WrongReply,
            format!("the client prints `{want}`"),
            "no such line",
        ));
    }
    expect_exit(ctx, server, SLACK, 0, Diagnosis::Crash)
}

pub fn chat(ctx: &mut Ctx) -> Result<(), Failure> {
    let (_server, addr) = ctx.start_server(Role::ChatServer, &[], &[])?;
    let messages: Vec<String> = (0..2).map(|_| ctx.message(16)).collect();
    let client = ctx.spawn(
        Role::ChatClient,
        &messages,
        &[("LAB_PORT", addr.port().to_string())],
    )?;
    expect_exit(ctx, client, SLACK + SLACK, 0, Diagnosis::Crash)?;
    let lines = ctx.child(client).lines(Stream::Stdout);
    for message in &messages {
        let seen = lines.iter().any(|l| {
            l.strip_prefix("[CLIENT] ")
                .is_some_and(|rest| is_chat_ack(rest.trim_end(), message))
        });
        if !seen {
            return Err(fail(
                Diagnosis::WrongReply,
                format!("the client prints `[CLIENT] [ACK @HH:MM:SS] {message}`"),
                "no such line",
            ));
        }
    }
    Ok(())
}
