//! `voucher-ledger`: serves the API (the default) and runs operations.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use voucher_ledger::config::{Config, SecretOrigin};
use voucher_ledger::store::Db;
use voucher_ledger::{build_rocket, service, telemetry, App};

#[derive(Parser)]
#[command(
    name = "voucher-ledger",
    version,
    about = "The Yangtze River Delta innovation voucher ledger"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the HTTP API (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Create an operator credential and print it once as JSON.
    CreateAdmin,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::load() {
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
            Command::Serve => serve(config).await,
            Command::Migrate => connect(&config).await.map(|_| ()),
            Command::CreateAdmin => create_admin(&config).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("voucher-ledger: {message}");
            ExitCode::FAILURE
        }
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

async fn create_admin(config: &Config) -> Result<(), String> {
    let db = connect(config).await?;
    let credentials = service::identity::create_admin(&db)
        .await
        .map_err(|e| format!("cannot create the admin: {e}"))?;
    println!(
        "{}",
        serde_json::json!({
            "client_id": credentials.client_id,
            "client_secret": credentials.client_secret,
        })
    );
    Ok(())
}
