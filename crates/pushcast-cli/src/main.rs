//! `pushcast`: publish, watch and check Pusher-protocol traffic from a terminal or a script.
//!
//! Every protocol detail (signing, auth, webhooks, encryption) lives in `pushcast-core`, every
//! delivery in `pushcast-client`; this binary reads arguments and configuration, calls them and
//! prints results. Output meant for scripts goes to stdout (JSON lines); progress, notices and
//! errors go to stderr. Exit codes are listed in `pushcast --help` and in [`error::Exit`].

mod auth;
mod bench;
mod cli;
mod client;
mod config;
mod error;
mod input;
mod progress;
mod query;
mod replay;
mod stats_file;
mod tail;
mod trigger;
mod webhook;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command, WebhookCommand};
use crate::config::Resolved;
use crate::error::CliResult;

fn run(cli: Cli) -> CliResult {
    // `stats` reads a local file only: it needs no app configuration.
    if let Command::Stats(args) = &cli.command {
        return stats_file::show(args);
    }
    let config = Resolved::from_process(&cli.config)?;
    match cli.command {
        Command::Trigger(args) if args.from_file.is_some() => replay::run(&config, &args),
        Command::Trigger(args) => trigger::run(&config, &args),
        Command::Tail(args) => tail::run(&config, &args),
        Command::Auth(command) => auth::run(&config, &command),
        Command::Webhook(WebhookCommand::Verify(args)) => webhook::verify(&config, &args),
        Command::Channels(args) => query::channels(&config, &args),
        Command::Users(args) => query::users(&config, &args),
        Command::Bench(args) => bench::run(&config, &args),
        Command::Stats(_) => Ok(()),
        Command::Config => {
            print!("{}", config.describe());
            Ok(())
        }
    }
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("pushcast: error: {error}");
            error.exit_code()
        }
    }
}
