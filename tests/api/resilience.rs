//! What only real processes show: a server killed mid-load loses nothing it
//! acknowledged, and three instances on one database keep every guarantee.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use voucher_ledger::store::{Db, DbSettings};

use crate::helpers::new_key;
use crate::process::{database, Programme, Server};

/// Every ledger invariant, checked straight on the database.
async fn assert_invariants(url: &str) {
    let db = Db::connect(&DbSettings {
        url: url.to_owned(),
        pool_size: 2,
        busy_timeout: std::time::Duration::from_secs(5),
        acquire_timeout: std::time::Duration::from_secs(5),
        sqlite_synchronous_full: true,
    })
    .await
    .unwrap();
    let violations = voucher_ledger::ledger::check(db.reader()).await.unwrap();
    assert!(violations.is_empty(), "invariants broken: {violations:#?}");
    db.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_server_killed_mid_load_loses_nothing_it_acknowledged() {
    let (url, _dir) = database().await;
    let server = Arc::new(Server::on(&url, &[]).await);
    let p = Arc::new(Programme::set_up(&server, "100000.00").await);
    let acknowledged = Arc::new(Mutex::new(Vec::new()));
    let sent = Arc::new(AtomicUsize::new(0));
    let pid = server.child.id();
    let workers: Vec<_> = (0..16)
        .map(|worker| {
            let (server, p, acknowledged, sent) = (
                server.clone(),
                p.clone(),
                acknowledged.clone(),
                sent.clone(),
            );
            tokio::spawn(async move {
                for n in 0..25 {
                    sent.fetch_add(1, Ordering::SeqCst);
                    let hold = p.hold(&format!("K-{worker}-{n}"), "1.00");
                    let (status, answer) =
                        server.post("/api/v1/redemptions", &p.company, &hold).await;
                    match status {
                        201 => acknowledged
                            .lock()
                            .unwrap()
                            .push(answer["id"].as_str().unwrap().to_owned()),
                        0 => return, // the server is gone
                        other => assert!(other < 500, "{other}: {answer}"),
                    }
                }
            })
        })
        .collect();
    // Kill it (SIGKILL) in the middle of the load.
    while acknowledged.lock().unwrap().len() < 60 {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let status = std::process::Command::new("kill")
        .args(["-9", &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    for worker in workers {
        worker.await.unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    let sent = sent.load(Ordering::SeqCst);
    eprintln!(
        "killed after {} of {sent} holds were acknowledged",
        acknowledged.len()
    );
    assert!(sent > acknowledged.len(), "killed before the end");

    let again = Server::on(&url, &[]).await;
    for id in &acknowledged {
        let (status, redemption) = again
            .get(&format!("/api/v1/redemptions/{id}"), &p.company)
            .await;
        assert_eq!(status, 200, "acknowledged {id} is lost: {redemption}");
        assert_eq!(redemption["status"], "held");
    }
    let (_, verify) = again
        .get("/api/v1/audit/verify?region=JX", &p.regulator)
        .await;
    assert_eq!(verify["ok"], true, "{verify}");
    assert_invariants(&url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_instances_on_one_database_keep_every_guarantee() {
    let (url, _dir) = database().await;
    let first = Server::on(&url, &[]).await;
    let p = Arc::new(Programme::set_up(&first, "30.00").await);
    let servers = Arc::new([
        first,
        Server::on(&url, &[]).await,
        Server::on(&url, &[]).await,
    ]);

    // One key sent to every instance at once acts once.
    let key = new_key();
    let once = p.hold("ONCE", "1.00");
    let tasks: Vec<_> = (0..9)
        .map(|n| {
            let (servers, p, key, body) = (servers.clone(), p.clone(), key.clone(), once.clone());
            tokio::spawn(async move {
                servers[n % 3]
                    .post_keyed("/api/v1/redemptions", &p.company, &key, &body)
                    .await
            })
        })
        .collect();
    let mut ids = std::collections::BTreeSet::new();
    for task in tasks {
        let (status, answer) = task.await.unwrap();
        match status {
            201 => {
                ids.insert(answer["id"].as_str().unwrap().to_owned());
            }
            409 => assert_eq!(answer["code"], "idempotency_in_progress", "{answer}"),
            other => panic!("{other}: {answer}"),
        }
    }
    assert_eq!(ids.len(), 1, "one redemption for one key: {ids:?}");

    // 60 holds of 1.00 race for the 29.00 left, spread over the instances.
    let tasks: Vec<_> = (0..60)
        .map(|n| {
            let (servers, p) = (servers.clone(), p.clone());
            tokio::spawn(async move {
                servers[n % 3]
                    .post(
                        "/api/v1/redemptions",
                        &p.company,
                        &p.hold(&format!("R-{n}"), "1.00"),
                    )
                    .await
            })
        })
        .collect();
    let mut held = 0;
    for task in tasks {
        let (status, answer) = task.await.unwrap();
        match status {
            201 => held += 1,
            422 => assert_eq!(answer["code"], "insufficient_balance", "{answer}"),
            other => panic!("{other}: {answer}"),
        }
    }
    assert_eq!(held, 29, "exactly what the voucher held");
    // Whichever instance wrote them, event times never run backwards
    // against their sequence.
    let (_, events) = servers[0]
        .get("/api/v1/audit/events?region=JX&limit=500", &p.regulator)
        .await;
    let times: Vec<chrono::DateTime<chrono::FixedOffset>> = events["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| chrono::DateTime::parse_from_rfc3339(e["occurred_at"].as_str().unwrap()).unwrap())
        .collect();
    assert!(times.len() > 30, "{events}");
    assert!(times.windows(2).all(|t| t[0] <= t[1]), "{times:?}");
    let (_, voucher) = servers[2]
        .get(&format!("/api/v1/vouchers/{}", p.voucher), &p.company)
        .await;
    assert_eq!(voucher["available"], "0.00");
    assert_eq!(voucher["held"], "30.00");
    let (_, verify) = servers[1]
        .get("/api/v1/audit/verify?region=JX", &p.regulator)
        .await;
    assert_eq!(verify["ok"], true, "{verify}");
    assert_invariants(&url).await;
}

/// Stops or starts the local PostgreSQL cluster.
fn cluster(action: &str) {
    let version = std::fs::read_dir("/etc/postgresql")
        .expect("a local PostgreSQL cluster")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .max()
        .unwrap();
    let mut command = std::process::Command::new("pg_ctlcluster");
    command.args(["--skip-systemctl-redirect", &version, "main", action]);
    if action == "stop" {
        command.args(["-m", "fast"]);
    }
    assert!(
        command.status().unwrap().success(),
        "pg_ctlcluster {action}"
    );
}

/// Stops the local PostgreSQL cluster under load: `.ci/run` runs it on its
/// own, after the other suites (it would take their database away).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "stops the local PostgreSQL cluster; run alone by .ci/run"]
async fn a_database_outage_is_answered_503_within_a_second_and_survived() {
    std::env::var("TEST_DATABASE_URL").expect("this suite needs PostgreSQL");
    let (url_db, _) = database().await;
    let server = Server::on(&url_db, &[]).await;
    let p = Programme::set_up(&server, "1000.00").await;

    cluster("stop");
    let started = std::time::Instant::now();
    let mut outage = Vec::new();
    for n in 0..5 {
        let key = format!("outage-{n}");
        let asked = std::time::Instant::now();
        let (status, headers, body) = server
            .exchange(
                "POST",
                "/api/v1/redemptions",
                Some(&p.company),
                Some(&key),
                Some(&p.hold(&format!("O-{n}"), "1.00").to_string()),
            )
            .await
            .unwrap();
        let took = asked.elapsed();
        outage.push((key, took));
        assert_eq!(status, 503, "{body}");
        assert!(body.contains("\"unavailable\""), "{body}");
        assert!(
            headers.to_ascii_lowercase().contains("retry-after:"),
            "{headers}"
        );
        assert!(
            took < std::time::Duration::from_millis(1500),
            "took {took:?}"
        );
    }
    let (health, _) = server.request("GET", "/health", None, None).await.unwrap();
    assert_eq!(health, 503);
    eprintln!(
        "outage: {:?} per request, {:?} in all",
        outage.iter().map(|(_, t)| *t).collect::<Vec<_>>(),
        started.elapsed()
    );
    cluster("start");

    // The same process serves again once the database is back.
    let back = std::time::Instant::now();
    loop {
        if let Ok((200, _)) = server.request("GET", "/health", None, None).await {
            break;
        }
        assert!(
            back.elapsed() < std::time::Duration::from_secs(60),
            "not back"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    // A request answered 503 did not happen: its key acts now, once.
    let body = p.hold("O-0", "1.00");
    let (status, first) = loop {
        let answer = server
            .post_keyed("/api/v1/redemptions", &p.company, "outage-0", &body)
            .await;
        if answer.0 != 503 {
            break answer;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    assert_eq!(status, 201, "{first}");
    let (status, again) = server
        .post_keyed("/api/v1/redemptions", &p.company, "outage-0", &body)
        .await;
    assert_eq!((status, &again), (201, &first));
    let (_, verify) = server
        .get("/api/v1/audit/verify?region=JX", &p.regulator)
        .await;
    assert_eq!(verify["ok"], true, "{verify}");
    assert_invariants(&url_db).await;
}

/// Sends `signal` (`STOP` or `CONT`) to every process of the local
/// PostgreSQL cluster: a paused database answers nothing and refuses
/// nothing — connections stay open, the kernel still acknowledges.
fn pause_cluster(signal: &str) {
    let status = std::process::Command::new("pkill")
        .args([&format!("-{signal}"), "-u", "postgres", "postgres"])
        .status()
        .unwrap();
    assert!(status.success(), "pkill -{signal}");
}

/// Pauses the local PostgreSQL cluster under a server with the default
/// request deadline: `.ci/run` runs it on its own, after the other suites.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "pauses the local PostgreSQL cluster; run alone by .ci/run"]
async fn a_paused_database_is_answered_503_within_the_deadline_and_survived() {
    std::env::var("TEST_DATABASE_URL").expect("this suite needs PostgreSQL");
    let (url_db, _) = database().await;
    let server = Server::on(&url_db, &[("VL_REQUEST_DEADLINE_MS", "1500")]).await;
    let p = Programme::set_up(&server, "1000.00").await;

    pause_cluster("STOP");
    let limit = std::time::Duration::from_millis(2000);
    let writes = (0..4).map(|n| {
        let (server, p) = (&server, &p);
        async move {
            let key = format!("pause-{n}");
            let body = p.hold(&format!("P-{n}"), "1.00").to_string();
            let asked = std::time::Instant::now();
            let answer = server
                .exchange(
                    "POST",
                    "/api/v1/redemptions",
                    Some(&p.company),
                    Some(&key),
                    Some(&body),
                )
                .await
                .unwrap();
            (answer, asked.elapsed())
        }
    });
    let answers = futures::future::join_all(writes).await;
    let (health, health_took) = {
        let asked = std::time::Instant::now();
        let (status, _) = server.request("GET", "/health", None, None).await.unwrap();
        (status, asked.elapsed())
    };
    let (read, read_took) = {
        let asked = std::time::Instant::now();
        let (status, _) = server.get("/api/v1/vouchers", &p.company).await;
        (status, asked.elapsed())
    };
    pause_cluster("CONT");
    for ((status, headers, body), took) in &answers {
        assert_eq!(*status, 503, "{body}");
        assert!(body.contains("\"unavailable\""), "{body}");
        assert!(
            headers.to_ascii_lowercase().contains("retry-after:"),
            "{headers}"
        );
        assert!(*took < limit, "a write took {took:?}");
    }
    assert_eq!(health, 503);
    assert!(health_took < limit, "/health took {health_took:?}");
    assert_eq!(read, 503);
    assert!(read_took < limit, "a read took {read_took:?}");
    eprintln!(
        "paused: writes {:?}, /health {health_took:?}, a read {read_took:?}",
        answers.iter().map(|(_, t)| *t).collect::<Vec<_>>()
    );

    // Resumed, the same process serves again within 30 s.
    let back = std::time::Instant::now();
    loop {
        if let Ok((200, _)) = server.request("GET", "/health", None, None).await {
            break;
        }
        assert!(
            back.elapsed() < std::time::Duration::from_secs(30),
            "not back"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    // A write answered 503 may have been applied when the database woke;
    // its key tells which, and it never acts twice.
    for n in 0..4 {
        let key = format!("pause-{n}");
        let body = p.hold(&format!("P-{n}"), "1.00");
        let (status, first) = loop {
            let answer = server
                .post_keyed("/api/v1/redemptions", &p.company, &key, &body)
                .await;
            if answer.0 != 503 && answer.0 != 409 {
                break answer;
            }
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        };
        assert_eq!(status, 201, "{first}");
        let again = server
            .post_keyed("/api/v1/redemptions", &p.company, &key, &body)
            .await;
        assert_eq!(again, (201, first.clone()));
    }
    let count = server.get("/api/v1/redemptions", &p.company).await.1;
    let items = count["items"].as_array().map_or(0, Vec::len);
    let (_, verify) = server
        .get("/api/v1/audit/verify?region=JX", &p.regulator)
        .await;
    assert_eq!(verify["ok"], true, "{verify}");
    assert_invariants(&url_db).await;
    eprintln!("after the pause: {items} redemptions listed");
}
