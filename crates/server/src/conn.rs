//! The connection layer: accepts TCP connections up to a cap and serves HTTP/1.1 and HTTP/2 on them
//! with hyper, enforcing the read timeouts a slow or idle client would otherwise stretch forever
//! (slowloris: one byte every few seconds holds a file descriptor indefinitely).
//!
//! Each connection has a watchdog that closes it when
//! - a request head has not fully arrived `header_timeout` after the connection became ready for one
//!   (accepted, or its first byte arrived after an idle keep-alive pause);
//! - a kept-alive connection has sent nothing for `idle_timeout` while no request is in flight;
//! - a request body has not fully arrived `body_timeout` after its head (the body then fails, the
//!   handler answers 4xx and the connection is closed).
//!
//! A request in flight — including a long-lived stream such as the board's SSE, which sends its own
//! heartbeat — is never cut by these clocks: they only bound what the *client* owes the server.
//! Beyond `max_connections` a new connection gets a bare 503 with `Retry-After` and is closed.

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, Response};
use bytes::Bytes;
use http_body::{Body as HttpBody, Frame, SizeHint};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, Semaphore};
use tower::ServiceExt;

/// What the connection layer enforces; built from `[server]` config.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub header_timeout: Duration,
    pub body_timeout: Duration,
    pub idle_timeout: Duration,
    pub max_connections: usize,
    /// How long a graceful shutdown waits for open requests (streams included) before dropping them.
    pub shutdown_grace: Duration,
}

impl Limits {
    pub fn from_config(c: &crate::config::ServerConfig) -> Limits {
        Limits {
            header_timeout: Duration::from_secs(c.header_timeout_seconds),
            body_timeout: Duration::from_secs(c.body_timeout_seconds),
            idle_timeout: Duration::from_secs(c.idle_timeout_seconds),
            max_connections: c.max_connections,
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

/// Serves `app` on `listener` until `shutdown` completes, then lets open requests finish for up to
/// `limits.shutdown_grace`.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut builder = auto::Builder::new(TokioExecutor::new());
    // Our watchdog owns the head timeout: hyper's would also cut idle keep-alive at the same moment.
    builder.http1().header_read_timeout(None);
    let builder = Arc::new(builder);
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            metrics::counter!("http_connections_refused_total").increment(1);
            tokio::spawn(refuse(stream));
            continue;
        };
        let _ = stream.set_nodelay(true);
        let clock = Arc::new(ConnClock::new());
        let io = TokioIo::new(Watched {
            inner: stream,
            clock: clock.clone(),
        });
        let service = hyper::service::service_fn({
            let app = app.clone();
            let clock = clock.clone();
            move |req: Request<Incoming>| handle(app.clone(), clock.clone(), peer, limits, req)
        });
        let conn = builder.serve_connection(io, service).into_owned();
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            metrics::gauge!("http_connections_open").increment(1.0);
            tokio::select! {
                r = conn => if let Err(e) = r {
                    tracing::debug!(error = %e, %peer, "connection ended with an error");
                },
                why = watchdog(&clock, limits) => {
                    metrics::counter!("http_connections_timed_out_total", "reason" => why).increment(1);
                    tracing::debug!(%peer, reason = why, "closed a connection that stalled");
                }
            }
            metrics::gauge!("http_connections_open").decrement(1.0);
            drop(slot);
        });
    }
    drop(listener);
    if tokio::time::timeout(limits.shutdown_grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::info!("shutdown grace elapsed; dropping the connections still open");
    }
    Ok(())
}

async fn refuse(mut stream: TcpStream) {
    const BODY: &str =
        r#"{"error":{"code":"busy","message":"too many connections; retry in a moment"}}"#;
    let answer = format!(
        "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{BODY}",
        BODY.len()
    );
    let _ = tokio::time::timeout(Duration::from_secs(2), stream.write_all(answer.as_bytes())).await;
    let _ = tokio::time::timeout(Duration::from_secs(1), stream.shutdown()).await;
}

/// One request: the peer address for the handlers, the body deadline, and the in-flight mark the
/// watchdog reads (held until the response body is finished or dropped).
async fn handle(
    app: Router,
    clock: Arc<ConnClock>,
    peer: SocketAddr,
    limits: Limits,
    req: Request<Incoming>,
) -> Result<Response<Body>, Infallible> {
    let flight = InFlight::start(clock.clone());
    let mut req = req.map(|b| {
        let deadline =
            (!b.is_end_stream()).then(|| Box::pin(tokio::time::sleep(limits.body_timeout)));
        Body::new(DeadlineBody {
            inner: b,
            deadline,
            clock,
        })
    });
    req.extensions_mut().insert(ConnectInfo(peer));
    let resp = app.oneshot(req).await?;
    Ok(resp.map(|b| {
        Body::new(Tracked {
            inner: b,
            _flight: flight,
        })
    }))
}

/// Milliseconds since a process-wide origin, so connection clocks fit in atomics (0 means "unset").
fn now_ms() -> u64 {
    static ORIGIN: OnceLock<Instant> = OnceLock::new();
    ORIGIN.get_or_init(Instant::now).elapsed().as_millis() as u64 + 1
}

/// What the watchdog of one connection knows.
struct ConnClock {
    /// When the connection became ready for a request head and its first byte arrived (0: not yet).
    head_started: AtomicU64,
    /// Last moment bytes arrived or a request ended.
    last_activity: AtomicU64,
    in_flight: AtomicUsize,
    body_expired: AtomicBool,
    /// Wakes the watchdog when a deadline moves earlier or a request starts or ends.
    changed: Notify,
}

impl ConnClock {
    fn new() -> ConnClock {
        let now = now_ms();
        ConnClock {
            // A fresh connection owes its first request head from the moment it is accepted.
            head_started: AtomicU64::new(now),
            last_activity: AtomicU64::new(now),
            in_flight: AtomicUsize::new(0),
            body_expired: AtomicBool::new(false),
            changed: Notify::new(),
        }
    }

    fn on_read(&self) {
        let now = now_ms();
        self.last_activity.store(now, Ordering::Relaxed);
        if self.in_flight.load(Ordering::Acquire) == 0 {
            let first = self
                .head_started
                .compare_exchange(0, now, Ordering::AcqRel, Ordering::Relaxed)
                .is_ok();
            if first {
                self.changed.notify_one();
            }
        }
    }
}

struct InFlight(Arc<ConnClock>);

impl InFlight {
    fn start(clock: Arc<ConnClock>) -> InFlight {
        clock.in_flight.fetch_add(1, Ordering::AcqRel);
        clock.head_started.store(0, Ordering::Release);
        clock.changed.notify_one();
        InFlight(clock)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.last_activity.store(now_ms(), Ordering::Relaxed);
        self.0.head_started.store(0, Ordering::Release);
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
        self.0.changed.notify_one();
    }
}

/// Resolves (with the reason) when the connection should be closed.
async fn watchdog(clock: &ConnClock, limits: Limits) -> &'static str {
    let ms = |d: Duration| d.as_millis() as u64;
    loop {
        if clock.body_expired.load(Ordering::Acquire) {
            // Give the handler's error answer a moment to go out, then close.
            tokio::time::sleep(Duration::from_secs(1)).await;
            return "body";
        }
        let due = if clock.in_flight.load(Ordering::Acquire) > 0 {
            None
        } else {
            match clock.head_started.load(Ordering::Acquire) {
                0 => Some((
                    clock.last_activity.load(Ordering::Relaxed) + ms(limits.idle_timeout),
                    "idle",
                )),
                started => Some((started + ms(limits.header_timeout), "header")),
            }
        };
        let now = now_ms();
        match due {
            Some((at, why)) if now >= at => return why,
            Some((at, _)) => tokio::select! {
                _ = tokio::time::sleep(Duration::from_millis(at - now)) => {}
                _ = clock.changed.notified() => {}
            },
            None => clock.changed.notified().await,
        }
    }
}

/// The socket, with every received byte reported to the connection's clock.
struct Watched {
    inner: TcpStream,
    clock: Arc<ConnClock>,
}

impl AsyncRead for Watched {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let r = Pin::new(&mut this.inner).poll_read(cx, buf);
        if matches!(r, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            this.clock.on_read();
        }
        r
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }
    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

/// The request body has to arrive within the body timeout of its head.
#[derive(Debug, thiserror::Error)]
#[error("the request body did not arrive in time")]
pub struct BodyTimeout;

struct DeadlineBody {
    inner: Incoming,
    deadline: Option<Pin<Box<tokio::time::Sleep>>>,
    clock: Arc<ConnClock>,
}

impl HttpBody for DeadlineBody {
    type Data = Bytes;
    type Error = axum::BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = self.get_mut();
        if let Some(d) = this.deadline.as_mut()
            && d.as_mut().poll(cx).is_ready()
        {
            this.clock.body_expired.store(true, Ordering::Release);
            this.clock.changed.notify_one();
            return Poll::Ready(Some(Err(Box::new(BodyTimeout))));
        }
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(None) => {
                this.deadline = None;
                Poll::Ready(None)
            }
            Poll::Ready(Some(r)) => Poll::Ready(Some(r.map_err(Into::into))),
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// A response body that keeps its request counted as in flight until it is finished or dropped.
struct Tracked {
    inner: Body,
    _flight: InFlight,
}

impl HttpBody for Tracked {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        Pin::new(&mut self.get_mut().inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
