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
