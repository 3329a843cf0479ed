//! The binary's configuration checks and operator commands.

use std::process::Command;

fn ledger() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_voucher-ledger"));
    command
        .env("RUST_LOG", "off")
        .env_remove("DATABASE_URL")
        .env_remove("JWT_SECRET");
    command
}

#[test]
fn a_bad_setting_stops_the_server_naming_its_key() {
    for (var, value, key) in [
        ("ROCKET_PORT", "eighty", "port"),
        ("VL_DB_POOL_SIZE", "0", "db_pool_size"),
        ("DATABASE_URL", "mysql://localhost/x", "database_url"),
        (
            "JWT_SECRET",
            "change-me-change-me-change-me-change-me",
            "jwt_secret",
        ),
    ] {
        let output = ledger().arg("serve").env(var, value).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{var}={value}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(&format!("`{key}`")), "{var}: {stderr}");
    }
}

#[test]
fn create_admin_with_a_login_prints_a_one_time_password_once() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("l.db").display());
    let run = || {
        ledger()
            .args(["create-admin", "--login", "ops.wang"])
            .env("DATABASE_URL", &url)
            .env("JWT_SECRET", "cli-test-signing-key-0123456789abcdef0123")
            .output()
            .unwrap()
    };
    let first = run();
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let printed: serde_json::Value = serde_json::from_slice(&first.stdout).unwrap();
    assert_eq!(printed["login"], "ops.wang");
    let password = printed["password"].as_str().unwrap();
    assert!(password.chars().count() >= 12, "{password}");
    assert!(printed["client_id"].as_str().unwrap().starts_with("vl_"));
    assert!(printed["client_secret"].as_str().is_some());

    // The stored hash is Argon2id of that password; it belongs to no organisation.
    let (hash, organization) = tokio::runtime::Runtime::new().unwrap().block_on(async {
        use sea_orm::{ConnectionTrait, Statement};
        let settings = voucher_ledger::store::DbSettings {
            url: url.clone(),
            pool_size: 1,
            busy_timeout: std::time::Duration::from_secs(5),
            acquire_timeout: std::time::Duration::from_secs(5),
            sqlite_synchronous_full: true,
        };
        let db = voucher_ledger::store::Db::connect(&settings).await.unwrap();
        let row = db
            .reader()
            .query_one_raw(Statement::from_string(
                db.backend(),
                "SELECT password_hash, organization_id FROM users",
            ))
            .await
            .unwrap()
            .unwrap();
        let hash: String = row.try_get_by_index(0).unwrap();
        let organization: Option<uuid::Uuid> = row.try_get_by_index(1).unwrap();
        (hash, organization)
    });
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    assert!(voucher_ledger::service::secrets::verify(password, &hash));
    assert_eq!(organization, None);

    // The same login again (in any case) is refused and creates nothing.
    let again = ledger()
        .args(["create-admin", "--login", "OPS.WANG"])
        .env("DATABASE_URL", &url)
        .env("JWT_SECRET", "cli-test-signing-key-0123456789abcdef0123")
        .output()
        .unwrap();
    assert!(!again.status.success());
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(stderr.contains("taken"), "{stderr}");
    assert!(again.stdout.is_empty());
}

/// The built binary in an empty directory: its configuration and the
/// regions' policies are inside it, the embedded database goes to ./data/.
#[test]
fn the_binary_runs_in_an_empty_directory() {
    let empty = tempfile::tempdir().unwrap();
    let version = ledger().arg("--version").output().unwrap();
    assert!(version.status.success());
    let version = String::from_utf8(version.stdout).unwrap();
    assert_eq!(
        version.trim(),
        format!("voucher-ledger {}", env!("CARGO_PKG_VERSION"))
    );
    let migrate = ledger()
        .arg("migrate")
        .current_dir(empty.path())
        .env_remove("VL_CONFIG_DIR")
        .output()
        .unwrap();
    assert!(migrate.status.success(), "{migrate:?}");
    assert!(empty.path().join("data/voucher-ledger.db").is_file());
    // With the built-in policies: an operator's person can be made, and the
    // server (started the same way) answers on the three regions.
    let port = crate::served::free_port();
    let mut server = ledger()
        .arg("serve")
        .current_dir(empty.path())
        .env("ROCKET_PORT", port.to_string())
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut answered = None;
    for _ in 0..200 {
        let policy = std::process::Command::new("curl")
            .args(["-fs", &format!("http://127.0.0.1:{port}/login")])
            .output()
            .unwrap();
        if policy.status.success() {
            answered = Some(String::from_utf8(policy.stdout).unwrap());
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    server.kill().unwrap();
    let output = server.wait_with_output().unwrap();
    assert!(answered
        .expect("the server answered")
        .contains("name=\"password\""));
    // A page is served without warnings (Rocket's Shield warned twice per
    // page when the portal set a header Shield sets too).
    let log = [output.stdout, output.stderr].concat();
    let log = String::from_utf8_lossy(&log);
    assert!(!log.contains("Refusing to overwrite"), "{log}");
}

/// `--config DIR`: its default.toml replaces the built-in one, and relative
/// paths in it resolve against DIR (not the working directory).
#[test]
fn a_configuration_directory_resolves_its_own_paths() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("conf");
    std::fs::create_dir_all(config.join("policies")).unwrap();
    let shipped = std::fs::read_to_string("config/default.toml").unwrap();
    let custom = shipped
        .replace(
            "region_dirs = [\"regions\"]",
            "region_dirs = [\"policies\"]",
        )
        .replace("data_dir = \"data\"", "data_dir = \"state\"");
    std::fs::write(config.join("default.toml"), custom).unwrap();
    for region in ["jx", "sh", "zj"] {
        std::fs::copy(
            format!("config/regions/{region}.toml"),
            config.join("policies").join(format!("{region}.toml")),
        )
        .unwrap();
    }
    let elsewhere = tempfile::tempdir().unwrap();
    let migrate = ledger()
        .args(["--config", config.to_str().unwrap(), "migrate"])
        .current_dir(elsewhere.path())
        .output()
        .unwrap();
    assert!(migrate.status.success(), "{migrate:?}");
    assert!(config.join("state/voucher-ledger.db").is_file());
    assert!(!elsewhere.path().join("state").exists());
    // A directory without default.toml is named in the error.
    let missing = ledger()
        .args(["--config", elsewhere.path().to_str().unwrap(), "migrate"])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("default.toml not found"));
}

/// `demo` prints a person and a client of each role once; run again, it
/// refuses (exit 2) and names why.
#[test]
fn demo_fills_an_empty_database_and_refuses_a_full_one() {
    let empty = tempfile::tempdir().unwrap();
    let first = ledger()
        .arg("demo")
        .current_dir(empty.path())
        .output()
        .unwrap();
    assert!(first.status.success(), "{first:?}");
    let printed: serde_json::Value = serde_json::from_slice(&first.stdout).unwrap();
    for role in ["operator", "regulator", "company", "provider"] {
        assert!(printed[role]["login"].is_string(), "{printed}");
        assert!(printed[role]["password"].as_str().unwrap().len() >= 12);
        assert!(printed[role]["client_secret"].is_string());
    }
    let again = ledger()
        .arg("demo")
        .current_dir(empty.path())
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("not empty"));
    assert!(again.stdout.is_empty());
}
