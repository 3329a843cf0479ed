//! `loadgen`: builds a large ledger and measures the service over HTTP.
//!
//! `seed` writes vouchers through the service layer itself (the same use
//! cases and audit appends as the API, without HTTP, many per transaction)
//! so that a ledger of a million postings takes minutes, not hours. The
//! workloads of quality.md §1 (`hold`, `lifecycle`, `hot`, `issue`,
//! `report`, `verify`) drive a running server through its HTTP API and then
//! run their raw baseline on the same database; each prints one JSON line.
//!
//! This file is the command line; `seed` fills a database, `http` is the
//! client of the server, `drive` runs and measures clients, `workloads`
//! holds what each command does over HTTP and `raw` the raw baselines.

mod drive;
mod http;
mod raw;
mod seed;
mod workloads;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "loadgen",
    about = "Seeds a large ledger and measures the voucher ledger service"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Seed `vouchers` JX vouchers, each issued, held and completed (every
    /// tenth also claimed and paid), with their audit events, into the
    /// configured database (DATABASE_URL). Prints an operator's credentials.
    Seed {
        #[arg(long, default_value_t = 240_000)]
        vouchers: u64,
        /// Voucher chains per transaction, all of one company (at most 100).
        #[arg(long, default_value_t = 100)]
        batch: u64,
        /// More holds of 10.00 on each voucher, left held (at most 50): a
        /// ledger of many events without as many vouchers.
        #[arg(long, default_value_t = 0)]
        holds: u64,
    },
    /// Time `GET /api/v1/reports/summary` and `/cross-region` on a running
    /// server; the raw baseline sums the region's postings by hand.
    Report {
        #[command(flatten)]
        target: Target,
        #[arg(long, default_value_t = 50)]
        requests: usize,
        #[arg(long)]
        database_url: String,
    },
    /// Hold 1.00 of a new company's 64 vouchers from `clients` threads for
    /// `seconds` (each request with its own key); then the raw baseline.
    Hold(workloads::Run),
    /// Hold, complete and claim per operation (three requests).
    Lifecycle(workloads::Run),
    /// Every client holds on one voucher; the balance and the audit chain
    /// are checked afterwards.
    Hot(workloads::Run),
    /// Issue vouchers through the API (apply and approve), reporting the
    /// rate per block so that growth is visible.
    Issue(workloads::Issue),
    /// Time `GET /api/v1/audit/verify` on a running server; the raw baseline
    /// reads and hashes the region's events by hand.
    Verify {
        #[command(flatten)]
        target: Target,
        #[arg(long, default_value = "JX")]
        region: String,
        #[arg(long)]
        database_url: String,
    },
    /// A settlement run of `claims` approved claims (seeded as on the 15th
    /// of last month) started, frozen, approved, exported, its bank
    /// statement imported and reconciled, each step timed.
    Settle(workloads::Settle),
    /// Time portal pages as a person (`demo` prints one per role): signs in
    /// through the form, then `requests` sequential GETs of each path.
    Pages {
        #[arg(long, default_value = "http://127.0.0.1:8000")]
        url: String,
        #[arg(long)]
        login: String,
        #[arg(long)]
        password: String,
        /// Comma-separated paths, e.g. `/company,/company/redemptions`.
        #[arg(long)]
        paths: String,
        #[arg(long, default_value_t = 200)]
        requests: usize,
    },
    /// Time the policy what-if of 2026 for JX (`POST
    /// /api/v1/regions/JX/policy/what-if`) as a new JX regulator made
    /// through the API: the policy in force (no difference expected) and a
    /// draft with a quarter of the enterprise cap, `requests` times each.
    WhatIf {
        #[command(flatten)]
        target: Target,
        #[arg(long, default_value_t = 3)]
        requests: usize,
        #[arg(long)]
        database_url: String,
    },
    /// Time the Jiaxing regulator's portal dashboard (`GET /regulator`) for
    /// 2026: a new JX regulator and a person of it are made through the
    /// API, the person signs in through the portal's form.
    Dashboard {
        #[command(flatten)]
        target: Target,
        #[arg(long, default_value_t = 200)]
        requests: usize,
        #[arg(long)]
        database_url: String,
    },
}

/// A running server and an operator's credentials (`voucher-ledger
/// create-admin`).
#[derive(clap::Args, Debug, Clone)]
pub struct Target {
    #[arg(long, default_value = "http://127.0.0.1:8000")]
    pub url: String,
    #[arg(long)]
    pub client_id: String,
    #[arg(long)]
    pub client_secret: String,
}

fn main() {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Seed {
            vouchers,
            batch,
            holds,
        } => tokio::runtime::Runtime::new()
            .expect("a runtime")
            .block_on(seed::seed(vouchers, batch.clamp(1, 100), holds.min(50))),
        Command::Report {
            target,
            requests,
            database_url,
        } => workloads::report(&target, requests, &database_url),
        Command::Hold(run) => workloads::hold(run),
        Command::Lifecycle(run) => workloads::lifecycle(run),
        Command::Hot(run) => workloads::hot(run),
        Command::Issue(issue) => workloads::issue(issue),
        Command::Verify {
            target,
            region,
            database_url,
        } => workloads::verify(&target, &region, &database_url),
        Command::Dashboard {
            target,
            requests,
            database_url,
        } => workloads::dashboard(&target, requests, &database_url),
        Command::WhatIf {
            target,
            requests,
            database_url,
        } => workloads::what_if(&target, requests, &database_url),
        Command::Settle(settle) => workloads::settle(settle),
        Command::Pages {
            url,
            login,
            password,
            paths,
            requests,
        } => workloads::pages(&url, &login, &password, &paths, requests),
    };
    if let Err(e) = result {
        eprintln!("loadgen: {e}");
        std::process::exit(1);
    }
}

/// What a step of loadgen ends with: its value, or what went wrong.
type Result<T> = std::result::Result<T, String>;

/// An error's message.
fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}
