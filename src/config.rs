//! Typed configuration: `config/default.toml` with debug/release profiles,
//! overridden by the environment, validated before anything starts.
//!
//! The binary carries `config/default.toml` and the policy files of
//! `config/regions/` inside it, so that it runs anywhere: without a
//! configuration directory it uses those (and `./data/` for the embedded
//! database); with one (`--config DIR` or `VL_CONFIG_DIR`), `DIR/default.toml`
//! replaces them, and relative paths in it resolve against `DIR`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rand::RngCore;
use rocket::figment::providers::{Env, Format, Toml};
use rocket::figment::value::magic::RelativePathBuf;
use rocket::figment::{Figment, Profile};
use serde::Deserialize;

use crate::domain::clock::SystemClock;
use crate::rules::Registry;
use crate::service::engine::group::Group;
use crate::service::Service;
use crate::store::{Db, DbSettings};

/// A configuration problem, naming the key at fault.
#[derive(Debug, thiserror::Error)]
#[error("configuration key `{key}`: {message}")]
pub struct ConfigError {
    pub key: String,
    pub message: String,
}

impl ConfigError {
    fn new(key: &str, message: impl Into<String>) -> Self {
        ConfigError {
            key: key.into(),
            message: message.into(),
        }
    }
}

/// The settings of the service itself (Rocket reads its own keys from the
/// same sources).
#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    #[serde(default)]
    pub database_url: Option<String>,
    pub data_dir: PathBuf,
    pub db_pool_size: u32,
    pub db_busy_timeout_ms: u64,
    pub db_acquire_timeout_ms: u64,
    /// The longest a request may take before it is answered 503 (see
    /// [`crate::deadline`]).
    pub request_deadline_ms: u64,
    pub login_failures_per_client_per_minute: u32,
    pub login_failures_per_address_per_minute: u32,
    /// Proxies whose `X-Forwarded-For` names the client.
    #[serde(default)]
    pub trusted_proxies: Vec<std::net::IpAddr>,
    pub sqlite_synchronous: String,
    #[serde(default)]
    pub jwt_secret: Option<String>,
    pub jwt_issuer: String,
    pub jwt_audience: String,
    pub token_ttl_secs: u64,
    pub jwt_leeway_secs: u64,
    /// Directories of region policy files (`*.toml`), read in order.
    pub region_dirs: Vec<PathBuf>,
    pub idempotency_retention_hours: u64,
    pub idempotency_lease_secs: u64,
    /// The most write operations committed together (1: each commits alone).
    pub group_commit_max: usize,
    pub expiry_interval_secs: u64,
    pub log_format: String,
}

/// Where the token signing secret came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretOrigin {
    /// `jwt_secret` / `JWT_SECRET`.
    Configured,
    /// Made at random for this process (debug builds).
    Ephemeral,
    /// Made once and kept beside the embedded database.
    DataDir(PathBuf),
}

/// Everything loaded and checked: the figment (for Rocket) and our settings.
#[derive(Debug, Clone)]
pub struct Config {
    pub figment: Figment,
    pub settings: Settings,
    /// The issuing regions and their rules.
    pub rules: Registry,
}

/// The profile the build runs under unless `ROCKET_PROFILE` says otherwise.
pub fn default_profile() -> Profile {
    Profile::from_env_or("ROCKET_PROFILE", rocket::Config::DEFAULT_PROFILE)
}

/// The configuration built into the binary (`config/default.toml`).
pub const BUILTIN: &str = include_str!("../config/default.toml");

/// `base` plus the environment, for the build's profile.
fn with_environment(base: Figment) -> Figment {
    base.merge(Env::prefixed("ROCKET_").ignore(&["PROFILE"]).global())
        .merge(Env::prefixed("VL_").global())
        .merge(Env::raw().only(&["DATABASE_URL", "JWT_SECRET"]).global())
        .select(default_profile())
}

/// The figment of `dir/default.toml` plus the environment.
pub fn figment(dir: &Path) -> Figment {
    with_environment(
        Figment::from(rocket::Config::default())
            .merge(Toml::file(dir.join("default.toml")).nested()),
    )
}

/// The figment of the built-in configuration plus the environment.
pub fn builtin_figment() -> Figment {
    with_environment(Figment::from(rocket::Config::default()).merge(Toml::string(BUILTIN).nested()))
}

/// The paths of the settings, each resolved against the file that set it
/// (the environment's and the built-in ones: against the working directory).
#[derive(Deserialize)]
struct Paths {
    data_dir: RelativePathBuf,
    region_dirs: Vec<RelativePathBuf>,
}

impl Config {
    /// Loads the configuration directory `dir` (else `$VL_CONFIG_DIR`, else
    /// the built-in configuration) and the environment.
    pub fn load(dir: Option<PathBuf>) -> Result<Self, ConfigError> {
        let dir = dir.or_else(|| std::env::var_os("VL_CONFIG_DIR").map(PathBuf::from));
        let Some(dir) = dir else {
            return Self::build(builtin_figment(), true);
        };
        if !dir.join("default.toml").is_file() {
            return Err(ConfigError::new(
                "--config / VL_CONFIG_DIR",
                format!("{}/default.toml not found", dir.display()),
            ));
        }
        Self::from_figment(figment(&dir))
    }

    /// Extracts and validates the settings of a figment.
    pub fn from_figment(figment: Figment) -> Result<Self, ConfigError> {
        Self::build(figment, false)
    }

    /// Extracts and validates the settings of a figment; with `builtin`, the
    /// built-in `region_dirs = ["regions"]` means the built-in policies.
    fn build(figment: Figment, builtin: bool) -> Result<Self, ConfigError> {
        let problem = |e: rocket::figment::Error| {
            let key = e.path.join(".");
            ConfigError::new(if key.is_empty() { "?" } else { &key }, e.kind.to_string())
        };
        let mut settings: Settings = figment.extract().map_err(problem)?;
        let paths: Paths = figment.extract().map_err(problem)?;
        settings.data_dir = paths.data_dir.relative();
        settings.region_dirs = paths.region_dirs.iter().map(|p| p.relative()).collect();
        // Rocket's own keys (address, port, limits…) are checked here too.
        figment
            .extract::<rocket::Config>()
            .map_err(|e| ConfigError::new(&e.path.join("."), e.kind.to_string()))?;
        settings.validate()?;
        let builtin_regions = builtin && settings.region_dirs == [PathBuf::from("regions")];
        let rules = if builtin_regions {
            Registry::builtin()
        } else {
            Registry::load(&settings.region_dirs)
        };
        let rules = rules.map_err(|e| ConfigError {
            key: format!("{}: {}", e.file, e.key),
            message: e.message,
        })?;
        Ok(Config {
            figment,
            settings,
            rules,
        })
    }

    /// The use cases on `db`: this configuration's rules, the system clock.
    pub fn service(&self, db: Db) -> Service {
        let group = (self.settings.group_commit_max > 1)
            .then(|| Group::new(db.clone(), self.settings.group_commit_max));
        Service {
            db,
            rules: Arc::new(self.rules.clone()),
            clock: Arc::new(SystemClock),
            idempotency_lease: chrono::Duration::seconds(
                self.settings.idempotency_lease_secs as i64,
            ),
            group,
            orgs: Default::default(),
        }
    }

    /// The database the service uses.
    pub fn db_settings(&self) -> DbSettings {
        let s = &self.settings;
        DbSettings {
            url: s.database_url.clone().unwrap_or_else(|| {
                format!(
                    "sqlite://{}?mode=rwc",
                    s.data_dir.join("voucher-ledger.db").display()
                )
            }),
            pool_size: s.db_pool_size,
            busy_timeout: Duration::from_millis(s.db_busy_timeout_ms),
            acquire_timeout: Duration::from_millis(s.db_acquire_timeout_ms),
            sqlite_synchronous_full: s.sqlite_synchronous == "full",
        }
    }

    /// True when no database URL is configured: the embedded SQLite file.
    pub fn uses_embedded_database(&self) -> bool {
        self.settings.database_url.is_none()
    }

    /// The token signing secret. A configured secret must be real (32 bytes
    /// or more, not a sample). Without one, a debug build makes a random
    /// secret for this process; a release build on the embedded database
    /// makes one once and keeps it in the data directory (a single instance
    /// by nature); a release build on an external database refuses to start,
    /// because every instance must share one secret.
    pub fn jwt_secret(&self, release: bool) -> Result<(Vec<u8>, SecretOrigin), ConfigError> {
        if let Some(secret) = &self.settings.jwt_secret {
            check_secret(secret)?;
            return Ok((secret.as_bytes().to_vec(), SecretOrigin::Configured));
        }
        if !release {
            return Ok((random_secret().into_bytes(), SecretOrigin::Ephemeral));
        }
        if !self.uses_embedded_database() {
            return Err(ConfigError::new(
                "jwt_secret",
                "a release build on an external database needs JWT_SECRET (32 bytes or more, shared by every instance)",
            ));
        }
        let path = self.settings.data_dir.join("jwt-secret");
        let secret = match std::fs::read_to_string(&path) {
            Ok(text) => text.trim().to_owned(),
            Err(_) => {
                let secret = random_secret();
                write_private(&path, &secret).map_err(|e| {
                    ConfigError::new("data_dir", format!("{}: {e}", path.display()))
                })?;
                secret
            }
        };
        check_secret(&secret).map_err(|e| {
            ConfigError::new("data_dir", format!("{}: {}", path.display(), e.message))
        })?;
        Ok((secret.into_bytes(), SecretOrigin::DataDir(path)))
    }
}

impl Settings {
    fn validate(&self) -> Result<(), ConfigError> {
        if let Some(url) = &self.database_url {
            let known = ["sqlite:", "postgres:", "postgresql:"];
            if !known.iter().any(|p| url.starts_with(p)) {
                return Err(ConfigError::new(
                    "database_url",
                    "must start with sqlite:, postgres: or postgresql:",
                ));
            }
        }
        if !(1..=512).contains(&self.db_pool_size) {
            return Err(ConfigError::new(
                "db_pool_size",
                "must be between 1 and 512",
            ));
        }
        if !(100..=600_000).contains(&self.db_busy_timeout_ms) {
            return Err(ConfigError::new(
                "db_busy_timeout_ms",
                "must be between 100 and 600000",
            ));
        }
        for (key, value) in [
            (
                "login_failures_per_client_per_minute",
                self.login_failures_per_client_per_minute,
            ),
            (
                "login_failures_per_address_per_minute",
                self.login_failures_per_address_per_minute,
            ),
        ] {
            if !(1..=10_000).contains(&value) {
                return Err(ConfigError::new(key, "must be between 1 and 10000"));
            }
        }
        if !(100..=60_000).contains(&self.db_acquire_timeout_ms) {
            return Err(ConfigError::new(
                "db_acquire_timeout_ms",
                "must be between 100 and 60000",
            ));
        }
        if !(100..=600_000).contains(&self.request_deadline_ms) {
            return Err(ConfigError::new(
                "request_deadline_ms",
                "must be between 100 and 600000",
            ));
        }
        if !["full", "normal"].contains(&self.sqlite_synchronous.as_str()) {
            return Err(ConfigError::new(
                "sqlite_synchronous",
                "must be full or normal",
            ));
        }
        if let Some(secret) = &self.jwt_secret {
            check_secret(secret)?;
        }
        for (key, value) in [
            ("jwt_issuer", &self.jwt_issuer),
            ("jwt_audience", &self.jwt_audience),
        ] {
            if value.trim().is_empty() {
                return Err(ConfigError::new(key, "must not be empty"));
            }
        }
        if !(60..=86_400).contains(&self.token_ttl_secs) {
            return Err(ConfigError::new(
                "token_ttl_secs",
                "must be between 60 and 86400",
            ));
        }
        if self.jwt_leeway_secs > 300 {
            return Err(ConfigError::new("jwt_leeway_secs", "must be at most 300"));
        }
        if self.idempotency_retention_hours < 24 {
            return Err(ConfigError::new(
                "idempotency_retention_hours",
                "keys are kept at least 24 hours",
            ));
        }
        if !(1..=1000).contains(&self.group_commit_max) {
            return Err(ConfigError::new(
                "group_commit_max",
                "must be between 1 and 1000",
            ));
        }
        if !(1..=3600).contains(&self.idempotency_lease_secs) {
            return Err(ConfigError::new(
                "idempotency_lease_secs",
                "must be between 1 and 3600",
            ));
        }
        if !(10..=86_400).contains(&self.expiry_interval_secs) {
            return Err(ConfigError::new(
                "expiry_interval_secs",
                "must be between 10 and 86400",
            ));
        }
        if !["text", "json"].contains(&self.log_format.as_str()) {
            return Err(ConfigError::new("log_format", "must be text or json"));
        }
        if self.region_dirs.is_empty() {
            return Err(ConfigError::new(
                "region_dirs",
                "at least one directory of region policies is needed",
            ));
        }
        Ok(())
    }
}

/// Words of documentation and sample values; a secret containing one is a
/// placeholder someone forgot to replace.
const SAMPLE_WORDS: &[&str] = &[
    "change-me",
    "changeme",
    "change_me",
    "example",
    "sample",
    "placeholder",
];

fn check_secret(secret: &str) -> Result<(), ConfigError> {
    let lower = secret.to_ascii_lowercase();
    if SAMPLE_WORDS.iter().any(|s| lower.contains(s)) {
        return Err(ConfigError::new(
            "jwt_secret",
            "is a sample value; generate a real secret",
        ));
    }
    if secret.len() < 32 {
        return Err(ConfigError::new("jwt_secret", "must be at least 32 bytes"));
    }
    Ok(())
}

fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(contents.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rocket::figment::providers::Serialized;

    fn base() -> Figment {
        figment(Path::new("config"))
    }

    #[test]
    fn the_shipped_file_is_valid() {
        let config = Config::from_figment(base()).unwrap();
        assert_eq!(config.rules.regions().len(), 3);
        let regions = &config.settings.region_dirs;
        assert!(
            regions.len() == 1 && regions[0].ends_with("config/regions"),
            "relative to the file: {regions:?}"
        );
    }

    #[test]
    fn the_built_in_configuration_is_the_shipped_one() {
        assert_eq!(
            BUILTIN,
            std::fs::read_to_string("config/default.toml").unwrap()
        );
        let config = Config::build(builtin_figment(), true).unwrap();
        assert_eq!(config.rules.regions().len(), 3);
        assert_eq!(config.settings.data_dir, PathBuf::from("data"));
    }

    #[test]
    fn a_bad_value_names_its_key() {
        let err = Config::from_figment(base().merge(Serialized::global("db_pool_size", "many")))
            .unwrap_err();
        assert_eq!(err.key, "db_pool_size");
        let err =
            Config::from_figment(base().merge(Serialized::global("port", "eighty"))).unwrap_err();
        assert_eq!(err.key, "port");
        let err =
            Config::from_figment(base().merge(Serialized::global("database_url", "mysql://x")))
                .unwrap_err();
        assert_eq!(err.key, "database_url");
    }

    #[test]
    fn sample_and_short_secrets_are_refused() {
        for secret in ["change-me-change-me-change-me-change-me", "short"] {
            let err = Config::from_figment(base().merge(Serialized::global("jwt_secret", secret)))
                .unwrap_err();
            assert_eq!(err.key, "jwt_secret");
        }
    }

    #[test]
    fn release_on_postgres_needs_a_secret() {
        let config = Config::from_figment(
            base().merge(Serialized::global("database_url", "postgres://localhost/x")),
        )
        .unwrap();
        assert_eq!(config.jwt_secret(true).unwrap_err().key, "jwt_secret");
        let (_, origin) = config.jwt_secret(false).unwrap();
        assert_eq!(origin, SecretOrigin::Ephemeral);
    }

    #[test]
    fn release_on_the_embedded_database_keeps_one_secret() {
        let dir = tempfile::tempdir().unwrap();
        let config = Config::from_figment(
            base().merge(Serialized::global("data_dir", dir.path().to_str().unwrap())),
        )
        .unwrap();
        let (first, origin) = config.jwt_secret(true).unwrap();
        assert!(matches!(origin, SecretOrigin::DataDir(_)));
        let (second, _) = config.jwt_secret(true).unwrap();
        assert_eq!(first, second);
    }
}
