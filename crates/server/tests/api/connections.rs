//! The connection layer under slow and greedy clients: stalled heads, bodies and idle keep-alives are
//! closed after their timeouts while normal requests keep being served; long-lived streams are not
//! cut; connections beyond the cap get 503; one account's streams are capped.

use super::*;
use helpers::*;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn short_timeouts(c: &mut pingan_server::Config) {
    c.server.header_timeout_seconds = 1;
    c.server.body_timeout_seconds = 2;
    c.server.idle_timeout_seconds = 2;
}

async fn connect(app: &TestApp) -> TcpStream {
    TcpStream::connect(app.url.trim_start_matches("http://"))
        .await
        .unwrap()
}

/// Reads until the server closes the connection (or `limit` passes); returns what arrived and
/// whether it was closed.
async fn read_until_closed(s: &mut TcpStream, limit: Duration) -> (String, bool) {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let end = tokio::time::Instant::now() + limit;
    loop {
        match tokio::time::timeout_at(end, s.read(&mut buf)).await {
            Err(_) => return (String::from_utf8_lossy(&got).into_owned(), false),
            Ok(Ok(0)) | Ok(Err(_)) => return (String::from_utf8_lossy(&got).into_owned(), true),
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
        }
    }
}

/// True when nothing has arrived and the connection is still open.
fn still_open(s: &TcpStream) -> bool {
    let mut buf = [0u8; 1];
    matches!(s.try_read(&mut buf), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock)
}

both_tuned!(
    stalled_clients_are_closed_after_the_timeouts_while_others_are_served,
    short_timeouts,
    |app: TestApp| async move {
        let started = Instant::now();
        // Thirty connections that send nothing, thirty that stop inside their headers, thirty whose
        // body is shorter than its Content-Length.
        let mut silent = Vec::new();
        let mut in_head = Vec::new();
        let mut in_body = Vec::new();
        for _ in 0..30 {
            silent.push(connect(&app).await);
            let mut s = connect(&app).await;
            s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
                .await
                .unwrap();
            in_head.push(s);
            let mut s = connect(&app).await;
            s.write_all(b"POST /api/v1/session HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"username\":")
                .await
                .unwrap();
            in_body.push(s);
        }
        // A keep-alive connection that finished one request and then falls silent.
        let mut idle = connect(&app).await;
        idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .unwrap();
        let mut buf = [0u8; 1024];
        let n = idle.read(&mut buf).await.unwrap();
        assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
        // A live stream outlives every timeout: the server is the one sending.
        let d = app.client_as("dispatcher").await;
        let mut stream = d
            .get(format!("{}/api/v1/board/stream", app.url))
            .send()
            .await
            .unwrap();
        assert_eq!(stream.status(), 200);

        // Before the timeouts, the stalled connections are open (nothing is closed eagerly).
        tokio::time::sleep(Duration::from_millis(300)).await;
        if started.elapsed() < Duration::from_millis(900) {
            assert!(silent.iter().chain(&in_head).all(still_open));
        }
        // Meanwhile normal requests are served.
        let c = client();
        for _ in 0..10 {
            let (s, _) = app.get_json(&c, "/healthz").await;
            assert_eq!(s, 200);
        }
        let officer = app.client_as("officer").await;
        let (s, _) = app.get_json(&officer, "/api/v1/areas/330681109").await;
        assert_eq!(s, 200);

        // Every stalled connection is closed within its timeout (plus slack for a busy CI machine).
        for (i, s) in silent.iter_mut().enumerate() {
            let (_, closed) = read_until_closed(s, Duration::from_secs(5)).await;
            assert!(closed, "silent connection {i} is still open");
        }
        for (i, s) in in_head.iter_mut().enumerate() {
            let (_, closed) = read_until_closed(s, Duration::from_secs(5)).await;
            assert!(
                closed,
                "connection {i} stalled in its headers is still open"
            );
        }
        for (i, s) in in_body.iter_mut().enumerate() {
            let (answer, closed) = read_until_closed(s, Duration::from_secs(6)).await;
            assert!(closed, "connection {i} stalled in its body is still open");
            // The handler saw the body fail and answered 408 `body_timeout` before the close.
            assert!(
                answer.starts_with("HTTP/1.1 408") && answer.contains("body_timeout"),
                "stalled body answered: {answer}"
            );
        }
        let (_, closed) = read_until_closed(&mut idle, Duration::from_secs(5)).await;
        assert!(closed, "an idle keep-alive connection stayed open");
        assert!(
            started.elapsed() >= Duration::from_secs(2),
            "closed before the idle timeout"
        );
        // The stream is still open: it yields the next heartbeat or change, not an end.
        match tokio::time::timeout(Duration::from_millis(500), stream.chunk()).await {
            Err(_) => {}
            Ok(Ok(Some(_))) => {}
            Ok(other) => panic!("the live stream was cut: {other:?}"),
        }
        let (s, _) = app.get_json(&c, "/healthz").await;
        assert_eq!(s, 200);
    }
);

both_tuned!(
    connections_beyond_the_cap_get_503,
    |c: &mut pingan_server::Config| {
        c.server.max_connections = 4;
        c.server.header_timeout_seconds = 30;
    },
    |app: TestApp| async move {
        let mut held = Vec::new();
        for _ in 0..4 {
            held.push(connect(&app).await);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        let mut extra = connect(&app).await;
        let (answer, closed) = read_until_closed(&mut extra, Duration::from_secs(5)).await;
        assert!(closed);
        assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
        assert!(answer.contains("Retry-After: 1"), "{answer}");
        assert!(answer.contains("\"busy\""), "{answer}");
        // A freed place serves again.
        drop(held.pop());
        let mut ok = false;
        for _ in 0..50 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            if let Ok(r) = client().get(format!("{}/healthz", app.url)).send().await
                && r.status() == 200
            {
                ok = true;
                break;
            }
        }
        assert!(ok, "no request was served after a place was freed");
    }
);

both_tuned!(
    one_account_may_hold_only_so_many_streams,
    |c: &mut pingan_server::Config| c.server.streams_per_account = 2,
    |app: TestApp| async move {
        let d = app.client_as("dispatcher").await;
        let open = || d.get(format!("{}/api/v1/board/stream", app.url)).send();
        let first = open().await.unwrap();
        let second = open().await.unwrap();
        assert_eq!(
            (first.status().as_u16(), second.status().as_u16()),
            (200, 200)
        );
        let third = open().await.unwrap();
        assert_eq!(third.status(), 429);
        let body: serde_json::Value = third.json().await.unwrap();
        assert_eq!(error_code(&body), "too_many_streams");
        // Another account is not affected.
        let officer = app.client_as("officer").await;
        let r = officer
            .get(format!("{}/api/v1/board/stream", app.url))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        // Closing a stream frees its place.
        drop(first);
        let mut reopened = false;
        for _ in 0..50 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            let r = open().await.unwrap();
            if r.status() == 200 {
                reopened = true;
                break;
            }
        }
        assert!(reopened, "a closed stream kept its place");
    }
);
