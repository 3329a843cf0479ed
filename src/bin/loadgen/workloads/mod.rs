//! The workloads that drive a running server through its HTTP API and print
//! one JSON line each: the writes of quality.md §1 (`writes`: hold,
//! lifecycle, hot, issue) with their raw baselines, the reads (`reads`:
//! report, verify, what-if, dashboard) and a person's portal pages
//! (`pages`).

mod pages;
mod programme;
mod reads;
mod settle;
mod writes;

pub use pages::pages;
pub use reads::{dashboard, report, verify, what_if};
pub use settle::{settle, Settle};
pub use writes::{hold, hot, issue, lifecycle, Issue};

use serde_json::Value;

use crate::drive::{backend, Measured};
use crate::raw::{self, Shape};
use crate::{Result, Target};

/// A run against a server and its database.
#[derive(clap::Args, Debug)]
pub struct Run {
    #[command(flatten)]
    pub target: Target,
    #[arg(long, default_value_t = 16)]
    pub clients: usize,
    #[arg(long, default_value_t = 20)]
    pub seconds: u64,
    /// The server's process id, to report its peak memory.
    #[arg(long)]
    pub server_pid: Option<u32>,
    /// The server's database, for the raw baseline (run after the load).
    #[arg(long)]
    pub database_url: String,
}

impl Run {
    /// Runs the raw baseline of `shape` as many clients for as long, then
    /// prints the workload's JSON line with `extra`'s fields added.
    fn print(&self, workload: &str, measured: &Measured, shape: Shape, extra: Value) -> Result<()> {
        let raw = raw::run(&self.database_url, shape, measured.clients, self.seconds)?;
        let mut line = measured.line(workload, backend(&self.database_url), self.server_pid, raw);
        if let (Value::Object(line), Value::Object(extra)) = (&mut line, extra) {
            line.extend(extra);
        }
        println!("{line}");
        Ok(())
    }
}
