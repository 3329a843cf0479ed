//! The reverse proxy docs/operations.md ships (config/haproxy.cfg), run in
//! front of the service: requests pass, and a client that trickles its
//! request headers is cut off. The service alone cannot do the latter:
//! Rocket 0.5 builds hyper with `header_read_timeout(None)`.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::served::{free_port, Served};

/// HAProxy with the shipped configuration, in front of `backend`
/// (`127.0.0.1:PORT`), listening on a port of its own.
struct Proxy {
    port: u16,
    child: Child,
    _dir: tempfile::TempDir,
}

impl Proxy {
    async fn start(backend: &str) -> Proxy {
        let port = free_port();
        let shipped = std::fs::read_to_string("config/haproxy.cfg").unwrap();
        let config = shipped
            .replace("bind 127.0.0.1:8080", &format!("bind 127.0.0.1:{port}"))
            .replace("server a 127.0.0.1:8000", &format!("server a {backend}"));
        assert_ne!(config, shipped, "the shipped bind and server lines changed");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("haproxy.cfg");
        std::fs::write(&path, config).unwrap();
        let child = Command::new("haproxy")
            .args(["-db", "-f"])
            .arg(&path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("haproxy runs (Debian's haproxy; .ci/run installs it)");
        // Killed and waited for when dropped, also if it never listens.
        let proxy = Proxy {
            port,
            child,
            _dir: dir,
        };
        for _ in 0..400 {
            if TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
                return proxy;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("haproxy did not listen on {port}");
    }

    async fn connect(&self) -> TcpStream {
        TcpStream::connect(("127.0.0.1", self.port)).await.unwrap()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_shipped_proxy_passes_requests_and_cuts_off_a_trickling_client() {
    let served = Served::start().await;
    let proxy = Proxy::start(served.base.trim_start_matches("http://")).await;

    // A request passes (once the health check has found the instance up).
    let mut status = String::new();
    for _ in 0..200 {
        let mut s = proxy.connect().await;
        s.write_all(b"GET /health HTTP/1.0\r\nHost: ledger\r\n\r\n")
            .await
            .unwrap();
        let mut answer = String::new();
        let _ = s.read_to_string(&mut answer).await;
        status = answer.lines().next().unwrap_or_default().to_owned();
        if status.contains(" 200") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(status.contains(" 200"), "{status}");

    // Headers a byte a second, to the proxy and, beside it, to the service
    // itself: the proxy cuts its client off by `timeout http-request`
    // (10 s) with 408, long before a minute; the service keeps its own.
    let slow = b"GET /health HTTP/1.1\r\nHost: ledger\r\nX-Slow: ";
    let mut direct = TcpStream::connect(served.base.trim_start_matches("http://"))
        .await
        .unwrap();
    direct.write_all(slow).await.unwrap();
    let mut s = proxy.connect().await;
    s.write_all(slow).await.unwrap();
    let started = Instant::now();
    let mut answer = Vec::new();
    let mut buf = [0u8; 512];
    while started.elapsed() < Duration::from_secs(60) {
        direct
            .write_all(b"a")
            .await
            .expect("the service keeps a trickling client");
        let _ = s.write_all(b"a").await;
        match tokio::time::timeout(Duration::from_secs(1), s.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => break,
            Ok(Ok(n)) => answer.extend_from_slice(&buf[..n]),
            Err(_) => {}
        }
    }
    let answer = String::from_utf8_lossy(&answer);
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "a trickling client was kept a minute"
    );
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    // Why the proxy is needed: the service alone still waits for the rest.
    let mut nothing = [0u8; 64];
    let pending = direct.try_read(&mut nothing);
    assert!(
        matches!(&pending, Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
        "the service answered or closed a trickling client: {pending:?}"
    );
}
