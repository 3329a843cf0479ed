//! The service as a separate process, talked to over TCP: for what only a
//! real process shows (its memory, being killed, several instances).

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{fresh_postgres_database, SECRET};

/// A server process on its own port; killed when dropped.
pub struct Server {
    pub child: Child,
    pub port: u16,
    _dir: Option<tempfile::TempDir>,
}

/// A database for servers: a new PostgreSQL database when
/// `TEST_DATABASE_URL` is set, else a SQLite file in a temporary directory.
pub async fn database() -> (String, Option<tempfile::TempDir>) {
    match std::env::var("TEST_DATABASE_URL") {
        Ok(base) => (fresh_postgres_database(&base).await, None),
        Err(_) => {
            let dir = tempfile::tempdir().unwrap();
            let url = format!(
                "sqlite://{}?mode=rwc",
                dir.path().join("server.db").display()
            );
            (url, Some(dir))
        }
    }
}

impl Server {
    /// Starts a server on a new database, with extra environment settings.
    pub async fn start(env: &[(&str, &str)]) -> Server {
        let (url, dir) = database().await;
        let mut server = Server::on(&url, env).await;
        server._dir = dir;
        server
    }

    /// Starts a server on `database_url` and waits until it answers.
    pub async fn on(database_url: &str, env: &[(&str, &str)]) -> Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut command = Command::new(env!("CARGO_BIN_EXE_voucher-ledger"));
        command
            .arg("serve")
            .env("DATABASE_URL", database_url)
            .env("JWT_SECRET", SECRET)
            .env("ROCKET_ADDRESS", "127.0.0.1")
            .env("ROCKET_PORT", port.to_string())
            .env("VL_EXPIRY_INTERVAL_SECS", "3600")
            .env("RUST_LOG", "off")
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        for (key, value) in env {
            command.env(key, value);
        }
        let child = command.spawn().expect("start the server");
        let server = Server {
            child,
            port,
            _dir: None,
        };
        let started = Instant::now();
        loop {
            if let Ok((200, _)) = server.request("GET", "/health", None, None).await {
                return server;
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "the server did not come up"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Sends one request on a new connection; the status and the body.
    pub async fn request(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&str>,
    ) -> std::io::Result<(u16, String)> {
        let (status, _, body) = self.exchange(method, path, token, None, body).await?;
        Ok((status, body))
    }

    /// The same, with an idempotency key, returning the response headers too.
    pub async fn exchange(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        key: Option<&str>,
        body: Option<&str>,
    ) -> std::io::Result<(u16, String, String)> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).await?;
        let body = body.unwrap_or("");
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n",
            body.len()
        );
        if let Some(token) = token {
            head.push_str(&format!("Authorization: Bearer {token}\r\n"));
        }
        if let Some(key) = key {
            head.push_str(&format!("Idempotency-Key: {key}\r\n"));
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes()).await?;
        stream.write_all(body.as_bytes()).await?;
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await?;
        let text = String::from_utf8_lossy(&raw).into_owned();
        let (headers, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
        let status = headers
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        Ok((status, headers.to_owned(), body.to_owned()))
    }

    /// The server's peak resident memory so far, in KiB (`VmHWM`).
    pub fn peak_rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmHWM in /proc/<pid>/status")
    }

    /// Kills the process at once (SIGKILL).
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}
