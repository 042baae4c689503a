//! A small HTTP/1.1 client over hyper: one connection, requests one after the other on it.

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;

/// An answer: status, content type and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    /// The `code` of a JSON error body.
    pub fn code(&self) -> String {
        self.json()["code"].as_str().unwrap_or_else(|| panic!("no code in {}", self.text())).to_owned()
    }
}

/// One keep-alive connection to an inbox.
#[derive(Debug)]
pub struct Client {
    addr: SocketAddr,
    sender: SendRequest<Full<Bytes>>,
}

/// Why a request got no answer.
pub type Error = Box<dyn std::error::Error + Send + Sync>;

impl Client {
    /// Opens a connection to `addr` (loopback only).
    pub async fn connect(addr: SocketAddr) -> Result<Client, Error> {
        assert!(addr.ip().is_loopback(), "tests talk to loopback only, not {addr}");
        let stream = tokio::time::timeout(Duration::from_secs(10), tokio::net::TcpStream::connect(addr)).await??;
        stream.set_nodelay(true)?;
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(async move {
            let _ = connection.await;
        });
        Ok(Client { addr, sender })
    }

    /// Sends one request and reads the whole answer (within 60 s).
    pub async fn send(
        &mut self,
        method: &str,
        path: &str,
        content_type: Option<&str>,
        body: impl Into<Bytes>,
    ) -> Result<Answer, Error> {
        self.sender.ready().await?;
        let mut request = hyper::Request::builder().method(method).uri(path).header("host", self.addr.to_string());
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        let request = request.body(Full::new(body.into()))?;
        let answer = tokio::time::timeout(Duration::from_secs(60), async {
            let response = self.sender.send_request(request).await?;
            let status = response.status().as_u16();
            let content_type =
                response.headers().get("content-type").map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
            let body = response.into_body().collect().await?.to_bytes().to_vec();
            Ok::<_, Error>(Answer { status, content_type, body })
        })
        .await??;
        Ok(answer)
    }

    pub async fn get(&mut self, path: &str) -> Result<Answer, Error> {
        self.send("GET", path, None, Bytes::new()).await
    }

    /// POSTs a packet file to `/v1/packets`.
    pub async fn post_packet(&mut self, file: &[u8]) -> Result<Answer, Error> {
        self.send("POST", "/v1/packets", Some("application/octet-stream"), Bytes::copy_from_slice(file)).await
    }

    /// POSTs a revocation to `/v1/revocations`.
    pub async fn post_revocation(&mut self, jws: &str) -> Result<Answer, Error> {
        self.send(
            "POST",
            "/v1/revocations",
            Some("application/tessera-revocation+jwt"),
            Bytes::copy_from_slice(jws.as_bytes()),
        )
        .await
    }
}

/// Sends one request on a fresh connection.
pub async fn once(
    addr: SocketAddr,
    method: &str,
    path: &str,
    content_type: Option<&str>,
    body: impl Into<Bytes>,
) -> Result<Answer, Error> {
    Client::connect(addr).await?.send(method, path, content_type, body).await
}
