//! `paved events watch`: print events as they happen, from this store's
//! writers in any process (PostgreSQL) or this process (SQLite).

use std::process::ExitCode;
use std::time::Duration;

use crate::output::Ctx;

/// `paved events` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum EventsCommand {
    /// Print events as JSON lines until interrupted.
    Watch {
        /// Stop after this many events.
        #[arg(long)]
        count: Option<usize>,
        /// Stop after this many seconds.
        #[arg(long)]
        timeout: Option<u64>,
    },
}

/// Run one `paved events` subcommand.
pub async fn run(cmd: EventsCommand, ctx: &Ctx) -> anyhow::Result<ExitCode> {
    let EventsCommand::Watch { count, timeout } = cmd;
    let platform = ctx.platform().await?;
    let mut sub = platform.subscribe();
    // Tell a waiting script we are listening.
    eprintln!("watching events on {}", platform.store_description());
    let deadline = timeout.map(|s| tokio::time::Instant::now() + Duration::from_secs(s));
    let mut seen = 0usize;
    loop {
        if count.is_some_and(|c| seen >= c) {
            return Ok(ExitCode::SUCCESS);
        }
        let next = sub.next();
        let received = match deadline {
            Some(d) => match tokio::time::timeout_at(d, next).await {
                Ok(r) => r,
                Err(_) => return Ok(ExitCode::SUCCESS),
            },
            None => next.await,
        };
        match received {
            Ok(Some(e)) => {
                println!("{}", serde_json::to_string(&e)?);
                seen += 1;
            }
            // The stream goes on after a gap: say so and keep watching.
            Err(e) if e.code() == "LAGGED" => eprintln!("warning: {} ({})", e.chain(), e.code()),
            Err(e) => return Err(e.into()),
            Ok(None) => return Ok(ExitCode::SUCCESS),
        }
    }
}
