//! A NATS client of the few operations JetStream publishing needs, over the documented text protocol
//! (INFO/CONNECT/PING, SUB, PUB/HPUB with a reply subject, MSG/HMSG): create the stream if missing,
//! publish with `Nats-Msg-Id` and await the stream's acknowledgement. One request at a time per
//! connection — the delivery worker publishes a partner's events in order anyway. No TLS or auth:
//! the NATS server sits on the deployment's own network (add them before exposing it further).

use serde_json::{Value, json};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

#[derive(Debug, thiserror::Error)]
pub enum NatsError {
    #[error("NATS: {0}")]
    Io(#[from] std::io::Error),
    #[error("NATS: no answer within {0:?}")]
    Timeout(Duration),
    #[error("NATS: {0}")]
    Protocol(String),
    #[error("JetStream: {0}")]
    JetStream(String),
}

pub struct Nats {
    reader: BufReader<OwnedReadHalf>,
    writer: OwnedWriteHalf,
    inbox: String,
    next: u64,
    timeout: Duration,
}

/// A message received on the inbox.
struct Reply {
    /// The status line of the headers (`NATS/1.0 503`), when the message had headers.
    status: Option<String>,
    payload: Vec<u8>,
}

impl Nats {
    /// Connects to `nats://host:port` and subscribes to this connection's reply inbox.
    pub async fn connect(url: &str, timeout: Duration) -> Result<Nats, NatsError> {
        let addr = url
            .strip_prefix("nats://")
            .unwrap_or(url)
            .trim_end_matches('/');
        let stream = tokio::time::timeout(timeout, TcpStream::connect(addr))
            .await
            .map_err(|_| NatsError::Timeout(timeout))??;
        stream.set_nodelay(true)?;
        let (r, w) = stream.into_split();
        let mut n = Nats {
            reader: BufReader::new(r),
            writer: w,
            inbox: format!("_INBOX.{}", uuid::Uuid::now_v7().simple()),
            next: 0,
            timeout,
        };
        let info = n.line().await?;
        if !info.starts_with("INFO ") {
            return Err(NatsError::Protocol(format!(
                "expected INFO, got {info:.80}"
            )));
        }
        let info: Value = serde_json::from_str(&info[5..]).unwrap_or(Value::Null);
        if info["headers"] == false {
            return Err(NatsError::Protocol(
                "the server does not support headers (NATS 2.2 or later is needed)".into(),
            ));
        }
        let connect = json!({"verbose": false, "pedantic": false, "headers": true,
            "no_responders": true, "lang": "rust", "version": env!("CARGO_PKG_VERSION"),
            "name": "pingan", "protocol": 1});
        let sub = format!("CONNECT {connect}\r\nSUB {}.* 1\r\nPING\r\n", n.inbox);
        n.writer.write_all(sub.as_bytes()).await?;
        loop {
            let l = n.line().await?;
            match l.as_str() {
                "PONG" => return Ok(n),
                "+OK" => {}
                "PING" => n.writer.write_all(b"PONG\r\n").await?,
                other if other.starts_with("-ERR") => {
                    return Err(NatsError::Protocol(other.to_string()));
                }
                _ => {}
            }
        }
    }

    async fn line(&mut self) -> Result<String, NatsError> {
        let mut s = String::new();
        let n = tokio::time::timeout(self.timeout, self.reader.read_line(&mut s))
            .await
            .map_err(|_| NatsError::Timeout(self.timeout))??;
        if n == 0 {
            return Err(NatsError::Protocol(
                "the server closed the connection".into(),
            ));
        }
        Ok(s.trim_end_matches(['\r', '\n']).to_string())
    }

    async fn bytes(&mut self, n: usize) -> Result<Vec<u8>, NatsError> {
        let mut buf = vec![0u8; n + 2];
        tokio::time::timeout(self.timeout, self.reader.read_exact(&mut buf))
            .await
            .map_err(|_| NatsError::Timeout(self.timeout))??;
        buf.truncate(n);
        Ok(buf)
    }

    /// Publishes `payload` to `subject` with `headers`, and waits for the one reply.
    async fn request(
        &mut self,
        subject: &str,
        headers: &[(&str, &str)],
        payload: &[u8],
    ) -> Result<Reply, NatsError> {
        self.next += 1;
        let reply_to = format!("{}.{}", self.inbox, self.next);
        let mut frame = Vec::with_capacity(payload.len() + 128);
        if headers.is_empty() {
            frame.extend(format!("PUB {subject} {reply_to} {}\r\n", payload.len()).as_bytes());
        } else {
            let mut h = String::from("NATS/1.0\r\n");
            for (k, v) in headers {
                h.push_str(&format!("{k}: {v}\r\n"));
            }
            h.push_str("\r\n");
            frame.extend(
                format!(
                    "HPUB {subject} {reply_to} {} {}\r\n{h}",
                    h.len(),
                    h.len() + payload.len()
                )
                .as_bytes(),
            );
        }
        frame.extend_from_slice(payload);
        frame.extend_from_slice(b"\r\n");
        self.writer.write_all(&frame).await?;
        loop {
            let l = self.line().await?;
            let parts: Vec<&str> = l.split_whitespace().collect();
            match parts.first().copied() {
                Some("PING") => self.writer.write_all(b"PONG\r\n").await?,
                Some("+OK") | Some("PONG") | None => {}
                Some("-ERR") => return Err(NatsError::Protocol(l.clone())),
                Some("MSG") => {
                    // MSG <subject> <sid> [reply-to] <#bytes>
                    let n: usize = parts.last().and_then(|x| x.parse().ok()).unwrap_or(0);
                    let payload = self.bytes(n).await?;
                    if parts.get(1) == Some(&reply_to.as_str()) {
                        return Ok(Reply {
                            status: None,
                            payload,
                        });
                    }
                }
                Some("HMSG") => {
                    // HMSG <subject> <sid> [reply-to] <#header bytes> <#total bytes>
                    let total: usize = parts.last().and_then(|x| x.parse().ok()).unwrap_or(0);
                    let hlen: usize = parts
                        .get(parts.len().saturating_sub(2))
                        .and_then(|x| x.parse().ok())
                        .unwrap_or(0);
                    let all = self.bytes(total).await?;
                    if parts.get(1) == Some(&reply_to.as_str()) {
                        let head = String::from_utf8_lossy(&all[..hlen.min(all.len())]);
                        let status = head.lines().next().map(|s| s.trim().to_string());
                        return Ok(Reply {
                            status,
                            payload: all[hlen.min(all.len())..].to_vec(),
                        });
                    }
                }
                Some(other) => {
                    return Err(NatsError::Protocol(format!("unexpected {other}")));
                }
            }
        }
    }

    /// A JetStream API call: its JSON answer, or the error it names.
    async fn api(&mut self, subject: &str, body: &Value) -> Result<Value, NatsError> {
        let r = self
            .request(subject, &[], body.to_string().as_bytes())
            .await?;
        if let Some(s) = &r.status
            && s.contains(" 503")
        {
            return Err(NatsError::JetStream(
                "no responders: is JetStream enabled on the server (nats-server -js)?".into(),
            ));
        }
        let v: Value = serde_json::from_slice(&r.payload)
            .map_err(|e| NatsError::JetStream(format!("unreadable answer: {e}")))?;
        Ok(v)
    }

    /// Creates `stream` over `subjects` unless it exists (file storage, a two-minute window in which
    /// JetStream drops a message id it has seen).
    pub async fn ensure_stream(&mut self, stream: &str, subjects: &str) -> Result<(), NatsError> {
        let info = self
            .api(&format!("$JS.API.STREAM.INFO.{stream}"), &json!({}))
            .await?;
        if info.get("error").is_none() {
            return Ok(());
        }
        let created = self
            .api(
                &format!("$JS.API.STREAM.CREATE.{stream}"),
                &json!({"name": stream, "subjects": [subjects], "storage": "file",
                    "retention": "limits", "duplicate_window": 120_000_000_000i64}),
            )
            .await?;
        match created.get("error") {
            None => Ok(()),
            Some(e) => Err(NatsError::JetStream(format!(
                "creating stream {stream}: {}",
                e["description"]
            ))),
        }
    }

    /// Publishes one message and waits for the stream's acknowledgement; `Ok(true)` when the stream
    /// already had this message id (a resend it dropped).
    pub async fn publish(
        &mut self,
        subject: &str,
        msg_id: &str,
        payload: &[u8],
    ) -> Result<bool, NatsError> {
        let r = self
            .request(
                subject,
                &[
                    ("Nats-Msg-Id", msg_id),
                    ("Content-Type", "application/cloudevents+json"),
                ],
                payload,
            )
            .await?;
        if let Some(s) = &r.status
            && s.contains(" 503")
        {
            return Err(NatsError::JetStream(format!(
                "no stream takes subject {subject}"
            )));
        }
        let ack: Value = serde_json::from_slice(&r.payload)
            .map_err(|e| NatsError::JetStream(format!("unreadable acknowledgement: {e}")))?;
        if let Some(e) = ack.get("error") {
            return Err(NatsError::JetStream(e["description"].to_string()));
        }
        if ack.get("seq").is_none() {
            return Err(NatsError::JetStream(format!(
                "not an acknowledgement: {ack}"
            )));
        }
        Ok(ack["duplicate"] == true)
    }
}

impl Nats {
    /// How many messages `stream` holds, and its last sequence.
    pub async fn stream_state(&mut self, stream: &str) -> Result<(u64, u64), NatsError> {
        let info = self
            .api(&format!("$JS.API.STREAM.INFO.{stream}"), &json!({}))
            .await?;
        if let Some(e) = info.get("error") {
            return Err(NatsError::JetStream(e["description"].to_string()));
        }
        let st = &info["state"];
        Ok((
            st["messages"].as_u64().unwrap_or(0),
            st["last_seq"].as_u64().unwrap_or(0),
        ))
    }

    /// The message at `seq` in `stream`: its subject and payload (None when deleted or absent).
    pub async fn message(
        &mut self,
        stream: &str,
        seq: u64,
    ) -> Result<Option<(String, Vec<u8>)>, NatsError> {
        use base64::Engine;
        let r = self
            .api(
                &format!("$JS.API.STREAM.MSG.GET.{stream}"),
                &json!({"seq": seq}),
            )
            .await?;
        if r.get("error").is_some() {
            return Ok(None);
        }
        let m = &r["message"];
        let data = base64::engine::general_purpose::STANDARD
            .decode(m["data"].as_str().unwrap_or(""))
            .map_err(|e| NatsError::JetStream(format!("message data: {e}")))?;
        Ok(Some((
            m["subject"].as_str().unwrap_or("").to_string(),
            data,
        )))
    }

    /// Deletes `stream` (tests clean up after themselves).
    pub async fn delete_stream(&mut self, stream: &str) -> Result<(), NatsError> {
        self.api(&format!("$JS.API.STREAM.DELETE.{stream}"), &json!({}))
            .await
            .map(|_| ())
    }
}

/// A subject token from free text: NATS tokens may not hold `.`, `*`, `>` or white space.
pub fn token(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// `/330681/330681109/` → `330681.330681109` (the area part of a subject).
pub fn area_tokens(area_path: &str) -> String {
    let parts: Vec<String> = area_path
        .split('/')
        .filter(|p| !p.is_empty())
        .map(token)
        .collect();
    if parts.is_empty() {
        "_".into()
    } else {
        parts.join(".")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_hold_only_valid_tokens() {
        assert_eq!(area_tokens("/330681/330681109/"), "330681.330681109");
        assert_eq!(area_tokens("/"), "_");
        assert_eq!(token("a.b c>*"), "a_b_c__");
    }
}
