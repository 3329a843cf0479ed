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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_admin_with_a_login_prints_an_invitation_not_a_password() {
    let app = crate::helpers::TestApp::spawn().await;
    let run = |login: &str| {
        ledger()
            .args(["create-admin", "--login", login])
            .env("DATABASE_URL", &app.database_url)
            .env("JWT_SECRET", "cli-test-signing-key-0123456789abcdef0123")
            .output()
            .unwrap()
    };
    let first = run("ops.wang");
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let printed: serde_json::Value = serde_json::from_slice(&first.stdout).unwrap();
    assert_eq!(printed["login"], "ops.wang");
    assert!(printed.get("password").is_none(), "{printed}");
    assert!(printed["client_id"].as_str().unwrap().starts_with("vl_"));
    let path = printed["invitation"].as_str().unwrap();
    let token = path.strip_prefix("/invite/").unwrap();
    assert_eq!(app.count("users").await, 0, "nobody until it is accepted");

    // The person accepts it with a password of their own; the login is the
    // one the operator chose, whatever they type.
    let accepted = app
        .accept(token, "someone.else", "correct horse battery")
        .await;
    assert_eq!(accepted.status.code, 201, "{}", accepted.text);
    assert_eq!(accepted.body["login"], "ops.wang");
    assert_eq!(accepted.body["organization_id"], serde_json::json!(null));
    let operator = app.person_token("ops.wang", "correct horse battery").await;
    // An operator: it registers a regulator.
    let regulator =
        serde_json::json!({"kind": "regulator", "name": "浙江省科学技术厅", "region": "ZJ"});
    app.register(&operator, regulator).await;

    // The same login again (in any case) is refused and creates nothing.
    let again = run("OPS.WANG");
    assert!(!again.status.success());
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(stderr.contains("taken"), "{stderr}");
    assert!(again.stdout.is_empty());
    assert_eq!(
        app.count("invitations").await,
        2,
        "the operator's and the regulator's"
    );
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
