//! A minimal HTTP/1.1 client for the benchmark: one keep-alive connection, GET and POST,
//! bodies by length or chunked, handed to a sink piece by piece so a million-row extract is
//! never held in memory. The server under test is our own, on 127.0.0.1, without TLS; a
//! general client would bring a TLS stack into the production binary for nothing.

use anyhow::{bail, Context};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// The server closed the connection before answering.
#[derive(Debug, thiserror::Error)]
#[error("connection closed by the server")]
struct Closed;

pub struct Client {
    addr: String,
    conn: Option<BufReader<TcpStream>>,
    /// The last response's `Retry-After`, in seconds (a 503 from the busy stats pool).
    pub retry_after: Option<u64>,
}

impl Client {
    pub fn new(addr: impl Into<String>) -> Client {
        Client {
            addr: addr.into(),
            conn: None,
            retry_after: None,
        }
    }

    /// The server's address.
    pub fn addr(&self) -> &str {
        &self.addr
    }

    /// Sends a request and passes the response body to `sink`; returns the status. A kept-alive
    /// connection the server has meanwhile closed (after its keep-alive timeout) is replaced
    /// once.
    pub async fn send(
        &mut self,
        method: &str,
        path: &str,
        bearer: Option<&str>,
        json: Option<&[u8]>,
        sink: &mut (dyn FnMut(&[u8]) + Send),
    ) -> anyhow::Result<u16> {
        let reused = self.conn.is_some();
        match self.attempt(method, path, bearer, json, sink).await {
            Err(e) if reused && e.downcast_ref::<Closed>().is_some() => {
                self.conn = None;
                self.attempt(method, path, bearer, json, sink).await
            }
            other => other,
        }
    }

    async fn attempt(
        &mut self,
        method: &str,
        path: &str,
        bearer: Option<&str>,
        json: Option<&[u8]>,
        sink: &mut (dyn FnMut(&[u8]) + Send),
    ) -> anyhow::Result<u16> {
        if self.conn.is_none() {
            let stream = TcpStream::connect(&self.addr)
                .await
                .with_context(|| format!("connecting to {}", self.addr))?;
            stream.set_nodelay(true)?;
            self.conn = Some(BufReader::with_capacity(256 * 1024, stream));
        }
        let conn = self.conn.as_mut().context("connection")?;
        let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {}\r\n", self.addr);
        if let Some(token) = bearer {
            head.push_str(&format!("Authorization: Bearer {token}\r\n"));
        }
        if let Some(body) = json {
            head.push_str(&format!(
                "Content-Type: application/json\r\nContent-Length: {}\r\n",
                body.len()
            ));
        }
        head.push_str("\r\n");
        let stream = conn.get_mut();
        if stream.write_all(head.as_bytes()).await.is_err() {
            return Err(Closed.into());
        }
        if let Some(body) = json {
            stream.write_all(body).await?;
        }
        let (status, length, chunked, close, retry_after) = read_head(conn).await?;
        self.retry_after = retry_after;
        if chunked {
            read_chunked(conn, sink).await?;
        } else if let Some(n) = length {
            read_exact(conn, n, sink).await?;
        } else {
            let mut buf = vec![0u8; 64 * 1024];
            loop {
                let n = conn.read(&mut buf).await?;
                if n == 0 {
                    break;
                }
                sink(&buf[..n]);
            }
        }
        if close || (length.is_none() && !chunked) {
            self.conn = None;
        }
        Ok(status)
    }

    /// GET `path`, the whole body as bytes.
    pub async fn get(&mut self, path: &str, bearer: &str) -> anyhow::Result<(u16, Vec<u8>)> {
        let mut body = Vec::new();
        let status = self
            .send("GET", path, Some(bearer), None, &mut |b| {
                body.extend_from_slice(b)
            })
            .await?;
        Ok((status, body))
    }
}

/// Status, content length, whether chunked, whether the server closes the connection, and
/// `Retry-After` in seconds.
type Head = (u16, Option<usize>, bool, bool, Option<u64>);

/// `Retry-After` as delay-seconds (the form the server sends; an HTTP date is not read).
pub fn retry_after_secs(value: &str) -> Option<u64> {
    value.trim().parse().ok()
}

async fn read_head(conn: &mut BufReader<TcpStream>) -> anyhow::Result<Head> {
    let mut line = String::new();
    if conn.read_line(&mut line).await.unwrap_or(0) == 0 {
        return Err(Closed.into());
    }
    let status: u16 = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .with_context(|| format!("bad status line {line:?}"))?;
    let (mut length, mut chunked, mut close, mut retry_after) = (None, false, false, None);
    loop {
        line.clear();
        if conn.read_line(&mut line).await? == 0 {
            bail!("connection closed in the response head");
        }
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((name, value)) = l.split_once(':') {
            let (name, value) = (name.trim().to_ascii_lowercase(), value.trim());
            match name.as_str() {
                "content-length" => length = value.parse().ok(),
                "transfer-encoding" => chunked = value.eq_ignore_ascii_case("chunked"),
                "connection" => close = value.eq_ignore_ascii_case("close"),
                "retry-after" => retry_after = retry_after_secs(value),
                _ => {}
            }
        }
    }
    Ok((status, length, chunked, close, retry_after))
}

async fn read_exact(
    conn: &mut BufReader<TcpStream>,
    mut n: usize,
    sink: &mut (dyn FnMut(&[u8]) + Send),
) -> anyhow::Result<()> {
    while n > 0 {
        let buf = conn.fill_buf().await?;
        if buf.is_empty() {
            bail!("connection closed in the body");
        }
        let take = buf.len().min(n);
        sink(&buf[..take]);
        conn.consume(take);
        n -= take;
    }
    Ok(())
}

async fn read_chunked(
    conn: &mut BufReader<TcpStream>,
    sink: &mut (dyn FnMut(&[u8]) + Send),
) -> anyhow::Result<()> {
    let mut line = String::new();
    loop {
        line.clear();
        conn.read_line(&mut line).await?;
        let size = usize::from_str_radix(line.trim().split(';').next().unwrap_or(""), 16)
            .with_context(|| format!("bad chunk size {line:?}"))?;
        if size == 0 {
            // Trailers, then the blank line.
            loop {
                line.clear();
                if conn.read_line(&mut line).await? == 0 || line.trim().is_empty() {
                    return Ok(());
                }
            }
        }
        read_exact(conn, size, sink).await?;
        line.clear();
        conn.read_line(&mut line).await?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_is_read_as_seconds_and_a_date_is_not_guessed() {
        assert_eq!(retry_after_secs(" 2"), Some(2));
        assert_eq!(retry_after_secs("Wed, 21 Oct 2026 07:28:00 GMT"), None);
    }
}
