//! `voucher-ledger`: serves the API (the default) and runs operations.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use voucher_ledger::audit::export::{next_lines, Format};
use voucher_ledger::audit::{self, EventFilter};
use voucher_ledger::config::{Config, SecretOrigin};
use voucher_ledger::domain::clock::{Clock, SystemClock};
use voucher_ledger::domain::{DomainError, Region};
use voucher_ledger::service::Call;
use voucher_ledger::store::Db;
use voucher_ledger::{build_rocket, service, telemetry, App};

#[derive(Parser)]
#[command(
    name = "voucher-ledger",
    version,
    about = "The Yangtze River Delta innovation voucher ledger"
)]
struct Cli {
    /// A configuration directory (its default.toml, and the paths in it);
    /// without it, `VL_CONFIG_DIR`, else the configuration built in.
    #[arg(long, global = true, value_name = "DIR")]
    config: Option<std::path::PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the HTTP API (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Create an operator credential and print it once as JSON; with
    /// `--login`, also an invitation (valid 72 h, used once) for an
    /// operator's person who signs in to the portal as that login and sets
    /// their own password.
    CreateAdmin {
        #[arg(long)]
        login: Option<String>,
    },
    /// Give an operators' client a new secret and print it once as JSON;
    /// the old secret stops working. An organisation's clients are its own
    /// administrators' to revoke and create: this refuses them.
    RotateSecret {
        #[arg(long)]
        client_id: String,
    },
    /// Verify a region's audit chain against the ledger; exit 0 only when it verifies.
    VerifyAudit {
        /// The issuing region (SH, ZJ, JX, …).
        #[arg(long)]
        region: String,
    },
    /// Fill an empty database with a realistic year (all through the
    /// service, so the audit chains verify) and print, once, a login and
    /// password and API credentials for a person of each role.
    Demo,
    /// Verify an exported trail (JSON Lines of export-audit) without the
    /// service or its database; exit 0 only when every line verifies.
    VerifyExport {
        /// The exported file.
        file: std::path::PathBuf,
    },
    /// Stream a region's audit events to standard output.
    ExportAudit {
        #[arg(long)]
        region: String,
        /// jsonl or csv.
        #[arg(long, default_value = "jsonl")]
        format: String,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::load(cli.config.clone()) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("voucher-ledger: {e}");
            return ExitCode::from(2);
        }
    };
    telemetry::init_logging(&config.settings.log_format);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let result = runtime.block_on(async move {
        match cli.command.unwrap_or(Command::Serve) {
            Command::Serve => serve(config).await.map(|_| ExitCode::SUCCESS),
            Command::Migrate => connect(&config).await.map(|_| ExitCode::SUCCESS),
            Command::CreateAdmin { login } => create_admin(&config, login)
                .await
                .map(|_| ExitCode::SUCCESS),
            Command::RotateSecret { client_id } => rotate_secret(&config, client_id)
                .await
                .map(|_| ExitCode::SUCCESS),
            Command::VerifyAudit { region } => verify_audit(&config, &region).await,
            Command::Demo => demo(&config).await,
            Command::VerifyExport { file } => verify_export(&file),
            Command::ExportAudit { region, format } => export_audit(&config, &region, &format)
                .await
                .map(|_| ExitCode::SUCCESS),
        }
    });
    match result {
        Ok(code) => code,
        Err(message) => {
            eprintln!("voucher-ledger: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Verifies an exported trail: the verdict and the head on standard output
/// (exit 0), or the first bad line (exit 1).
fn verify_export(file: &std::path::Path) -> Result<ExitCode, String> {
    let opened = std::fs::File::open(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let report = voucher_ledger::audit::offline::verify(std::io::BufReader::new(opened))
        .map_err(|e| format!("{}: {e}", file.display()))?;
    let region = report.region.as_deref().unwrap_or("-");
    match (&report.bad, &report.head) {
        (Some((line, problem)), _) => {
            println!("FAILED: line {line}: {problem}");
            println!("bad line {line}");
            Ok(ExitCode::FAILURE)
        }
        (None, head) => {
            println!(
                "ok: {} events of {region}, {} transfers balanced, {} accounts never below zero",
                report.events, report.transfers, report.accounts
            );
            match head {
                Some((seq, hash)) => println!("head {seq} {hash}"),
                None => println!("head 0 -"),
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Fills an empty database; refuses a non-empty one (exit 2, nothing changed).
async fn demo(config: &Config) -> Result<ExitCode, String> {
    let db = connect(config).await?;
    match voucher_ledger::demo::fill(&config.service(db)).await {
        Ok(printed) => {
            let json = serde_json::to_string_pretty(&printed).map_err(|e| e.to_string())?;
            println!("{json}");
            Ok(ExitCode::SUCCESS)
        }
        Err(e @ voucher_ledger::demo::DemoError::NotEmpty(_)) => {
            eprintln!("voucher-ledger: {e}");
            Ok(ExitCode::from(2))
        }
        Err(e) => Err(format!("demo: {e}")),
    }
}

/// Connects to the configured database and applies pending migrations.
async fn connect(config: &Config) -> Result<Db, String> {
    if config.uses_embedded_database() {
        std::fs::create_dir_all(&config.settings.data_dir)
            .map_err(|e| format!("configuration key `data_dir`: {e}"))?;
    }
    let db = Db::connect(&config.db_settings())
        .await
        .map_err(|e| format!("cannot connect to the database: {e}"))?;
    db.migrate()
        .await
        .map_err(|e| format!("migration failed: {e}"))?;
    Ok(db)
}

async fn serve(config: Config) -> Result<(), String> {
    let release = !cfg!(debug_assertions);
    let (secret, origin) = config.jwt_secret(release).map_err(|e| e.to_string())?;
    match origin {
        SecretOrigin::Configured => tracing::info!("token secret from configuration"),
        SecretOrigin::Ephemeral => tracing::warn!(
            "no JWT_SECRET: made a random token secret for this process (debug build); tokens end with it"
        ),
        SecretOrigin::DataDir(path) => tracing::warn!(
            path = %path.display(),
            "no JWT_SECRET: using the token secret kept beside the embedded database"
        ),
    }
    let db = connect(&config).await?;
    let backend = format!("{:?}", db.backend());
    let app = App::new(&config, db, &secret).map_err(|e| e.to_string())?;
    let rocket = build_rocket(&config, app)
        .ignite()
        .await
        .map_err(|e| format!("cannot start: {e}"))?;
    let rc = rocket.config();
    tracing::info!(address = %rc.address, port = rc.port, backend = %backend, "serving");
    rocket
        .launch()
        .await
        .map(|_| ())
        .map_err(|e| format!("server error: {e}"))
}

async fn create_admin(config: &Config, login: Option<String>) -> Result<(), String> {
    let db = connect(config).await?;
    let service = config.service(db.clone());
    // The person's invitation first: a bad login creates nothing.
    let invitation = match login {
        Some(login) => Some(
            service::invitations::invite_operator(&service, &login)
                .await
                .map_err(|e| format!("cannot invite the operator's person: {e}"))?,
        ),
        None => None,
    };
    let credentials = service::identity::create_admin(&db, SystemClock.now())
        .await
        .map_err(|e| format!("cannot create the admin: {e}"))?;
    match invitation {
        None => print_credentials(&credentials),
        Some(invitation) => println!(
            "{}",
            serde_json::json!({
                "client_id": credentials.client_id,
                "client_secret": credentials.client_secret,
                "login": invitation.login,
                "invitation": invitation.path(),
                "expires_at": invitation.expires_at,
            })
        ),
    }
    Ok(())
}

async fn rotate_secret(config: &Config, client_id: String) -> Result<(), String> {
    let db = connect(config).await?;
    let service = config.service(db);
    let credentials = service
        .execute(
            Call::system(),
            service::identity::RotateSecret { client_id },
        )
        .await
        .map_err(|e| match e {
            service::ServiceError::Domain(DomainError::NotFound) => "no such client id".to_owned(),
            service::ServiceError::Domain(DomainError::Forbidden(why)) => why,
            e => format!("cannot rotate the secret: {e}"),
        })?;
    print_credentials(&credentials);
    Ok(())
}

/// Prints client credentials once, as one JSON line.
fn print_credentials(credentials: &service::identity::ClientCredentials) {
    println!(
        "{}",
        serde_json::json!({
            "client_id": credentials.client_id,
            "client_secret": credentials.client_secret,
        })
    );
}

fn issuing_region(config: &Config, region: &str) -> Result<Region, String> {
    Region::parse(region)
        .ok()
        .filter(|r| config.rules.get(r).is_some())
        .ok_or_else(|| format!("{region} is not an issuing region"))
}

async fn verify_audit(config: &Config, region: &str) -> Result<ExitCode, String> {
    let region = issuing_region(config, region)?;
    let db = connect(config).await?;
    let verification = audit::verify(&db, &region)
        .await
        .map_err(|e| format!("verification failed to run: {e}"))?;
    println!(
        "{}",
        serde_json::to_string_pretty(&verification).expect("a verification serialises")
    );
    Ok(if verification.ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

async fn export_audit(config: &Config, region: &str, format: &str) -> Result<(), String> {
    use std::io::Write;
    let region = issuing_region(config, region)?;
    let format = Format::parse(format).ok_or("--format is jsonl or csv")?;
    let db = connect(config).await?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let write_err = |e: std::io::Error| format!("writing the export: {e}");
    if let Some(header) = format.header() {
        out.write_all(header.as_bytes()).map_err(write_err)?;
    }
    let mut filter = EventFilter::of(region);
    loop {
        let lines = next_lines(db.reader(), &mut filter, format, 1000)
            .await
            .map_err(|e| format!("reading events: {e}"))?;
        if lines.is_empty() {
            break;
        }
        for line in lines {
            out.write_all(line.as_bytes()).map_err(write_err)?;
        }
    }
    out.flush().map_err(write_err)
}
