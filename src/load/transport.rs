//! The load generator's one HTTP transport: HTTP/1.1 keep-alive connections over hyper, plain for
//! `http://` targets and through TLS ([`super::tls`]) for `https://` ones, with no shared pool on the hot
//! path. Both schemes take the same path request for request, so a scenario behaves alike over either.
//!
//! Each batch worker checks out its own connections ([`Conns`], one slot per URL) when the batch starts
//! and checks them back in when it ends: one lock per worker per batch, none per request. Between batches
//! they wait in [`Idle`], so connections persist as a long-lived SDK client's would. A connection that the
//! server closed, or that a timeout or an unread body left unusable, is replaced on next use. Every
//! request's unchanging parts (method, path, headers, body) are built once, in [`Endpoint`].

use crate::failure::ErrorKind;
use base64::Engine as _;
use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderValue};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;
use percent_encoding::percent_decode_str;
use rustls::pki_types::ServerName;
use std::sync::{Arc, Mutex, PoisonError};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use url::{Host, Position, Url};

/// The longest redirect target shown ([`Endpoint::redirect_target`]); a longer one is cut.
pub const MAX_LOCATION_CHARS: usize = 300;

/// The sending half of one keep-alive connection.
pub type Sender = SendRequest<Full<Bytes>>;

/// Why requests cannot be sent to a URL (settings validation lets none of these through).
#[derive(Debug, thiserror::Error)]
pub enum BadUrl {
    #[error("not an http:// or https:// URL")]
    Scheme,
    #[error("no host")]
    NoHost,
    #[error("an https:// URL, but the client has no TLS set up")]
    NoTls,
    #[error("invalid header value or request target")]
    Invalid,
}

/// How an `https://` endpoint's connections are secured.
#[derive(Debug)]
struct Tls {
    /// The client's TLS setup, shared by all its endpoints.
    config: Arc<rustls::ClientConfig>,
    /// The name the server's certificate must hold (also sent as SNI when it is a DNS name).
    name: ServerName<'static>,
}

/// One URL, with the parts of its request that never change.
#[derive(Debug)]
pub struct Endpoint {
    /// Host to connect to: a name or an IP address (an IPv6 one without brackets).
    host: String,
    /// Port to connect to (80 or 443 when the URL has none).
    port: u16,
    /// Set for `https://`: connections are wrapped in TLS.
    tls: Option<Tls>,
    /// The request target, in origin form (path and query).
    target: http::Uri,
    /// `GET` for `api = "http"`, `POST` otherwise.
    method: http::Method,
    /// Every request header, `Host` and credentials (marked sensitive) included.
    headers: HeaderMap,
    /// The URL, against which a redirect's relative `Location` is resolved ([`Endpoint::redirect_target`]).
    url: Url,
}

impl Endpoint {
    /// Prepares requests to `url`. `headers` are the scenario's (credentials included); `json` adds the
    /// content type of a JSON body; `tls` is needed for an `https://` URL. A user and password in the URL
    /// become basic credentials, ahead of the scenario's (as reqwest, which sent `https://` requests
    /// before, did). A non-empty `body` gets its `content-length` here, last, where hyper would add it to
    /// every request (growing each request's copy of the map).
    pub fn new(
        url: &Url,
        method: http::Method,
        headers: &HeaderMap,
        json: bool,
        body: &Bytes,
        tls: Option<&Arc<rustls::ClientConfig>>,
    ) -> Result<Self, BadUrl> {
        let host = match url.host().ok_or(BadUrl::NoHost)? {
            Host::Domain(d) => d.to_string(),
            Host::Ipv4(a) => a.to_string(),
            Host::Ipv6(a) => a.to_string(),
        };
        let tls = match url.scheme() {
            "http" => None,
            "https" => {
                let name = ServerName::try_from(host.clone()).map_err(|_| BadUrl::Invalid)?;
                Some(Tls { config: Arc::clone(tls.ok_or(BadUrl::NoTls)?), name })
            }
            _ => return Err(BadUrl::Scheme),
        };
        let target = url[Position::BeforePath..Position::AfterQuery].parse().map_err(|_| BadUrl::Invalid)?;
        let headers = request_headers(url, headers, json, body)?;
        let port = url.port_or_known_default().unwrap_or(80);
        Ok(Self { host, port, tls, target, method, headers, url: url.clone() })
    }

    /// Where a redirect from this URL points, as it may be shown: its `Location` resolved against the URL,
    /// secrets redacted ([`crate::settings::shown_url`]), control characters escaped and at most
    /// [`MAX_LOCATION_CHARS`] characters kept; `None` without a `Location` that makes a URL.
    pub fn redirect_target(&self, location: Option<&HeaderValue>) -> Option<String> {
        let to = self.url.join(location?.to_str().ok()?).ok()?;
        let shown = crate::settings::shown_url(&to);
        let shown = crate::text::printable(&shown);
        Some(match shown.char_indices().nth(MAX_LOCATION_CHARS) {
            Some((end, _)) => format!("{}…", &shown[..end]),
            None => shown.into_owned(),
        })
    }

    fn request(&self, body: &Bytes) -> http::Request<Full<Bytes>> {
        let mut request = http::Request::new(Full::new(body.clone()));
        *request.method_mut() = self.method.clone();
        *request.uri_mut() = self.target.clone();
        *request.headers_mut() = self.headers.clone();
        request
    }

    /// Opens a connection, TLS included for `https://`, and spawns its driver, which ends when the
    /// connection closes or every [`Sender`] of it is dropped.
    async fn connect(&self) -> Result<Sender, ErrorKind> {
        let stream = TcpStream::connect((self.host.as_str(), self.port)).await.map_err(|_| ErrorKind::Connect)?;
        stream.set_nodelay(true).map_err(|_| ErrorKind::Connect)?;
        let Some(tls) = &self.tls else {
            return handshake(stream).await;
        };
        match TlsConnector::from(Arc::clone(&tls.config)).connect(tls.name.clone(), stream).await {
            Ok(stream) => handshake(stream).await,
            Err(e) => {
                tracing::debug!(error = %e, host = %self.host, "load: TLS handshake failed");
                Err(ErrorKind::Connect)
            }
        }
    }

    /// Sends one request over the connection in `slot` and returns the response head, its body unread.
    ///
    /// A closed connection is replaced; a request the old connection could not send is sent again once
    /// on a new one (the server closed a keep-alive connection between requests). `slot` holds the
    /// connection again once the response head arrived; if this future is dropped first, it is empty.
    pub async fn respond(
        &self,
        slot: &mut Option<Sender>,
        body: &Bytes,
    ) -> Result<http::Response<Incoming>, ErrorKind> {
        let mut request = self.request(body);
        loop {
            let (mut sender, fresh) = match ready(slot.take()).await {
                Some(sender) => (sender, false),
                None => (self.connect().await?, true),
            };
            match sender.try_send_request(request).await {
                Ok(response) => {
                    *slot = Some(sender);
                    return Ok(response);
                }
                Err(mut e) => match e.take_message() {
                    Some(unsent) if !fresh => request = unsent,
                    _ => return Err(ErrorKind::Connect),
                },
            }
        }
    }
}

/// The HTTP/1.1 handshake over `stream`, plain or TLS, and the connection's driver spawned.
async fn handshake<S>(stream: S) -> Result<Sender, ErrorKind>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (sender, connection) = http1::handshake(TokioIo::new(stream)).await.map_err(|_| ErrorKind::Connect)?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::trace!(error = %e, "load connection ended");
        }
    });
    Ok(sender)
}

/// Every header of a request to `url`: `Host`, user agent, the scenario's `headers`, basic credentials from
/// the URL, the JSON content type and the body's length.
fn request_headers(url: &Url, headers: &HeaderMap, json: bool, body: &Bytes) -> Result<HeaderMap, BadUrl> {
    let authority =
        HeaderValue::from_str(&url[Position::BeforeHost..Position::AfterPort]).map_err(|_| BadUrl::Invalid)?;
    let mut all = HeaderMap::new();
    all.insert(header::HOST, authority);
    all.insert(header::USER_AGENT, HeaderValue::from_static(crate::http_client::USER_AGENT));
    all.insert(header::ACCEPT, HeaderValue::from_static("*/*"));
    for (name, value) in headers {
        all.insert(name, value.clone());
    }
    if let Some(basic) = basic_auth(url) {
        all.insert(header::AUTHORIZATION, basic);
    }
    if json {
        all.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    }
    if !body.is_empty() && !all.contains_key(header::CONTENT_LENGTH) {
        all.insert(header::CONTENT_LENGTH, HeaderValue::from(body.len()));
    }
    Ok(all)
}

/// `Authorization: Basic …` (sensitive) from the user and password of `url`, percent-decoded.
fn basic_auth(url: &Url) -> Option<HeaderValue> {
    if url.username().is_empty() && url.password().is_none() {
        return None;
    }
    let decode = |s: &str| percent_decode_str(s).decode_utf8().ok().map(|s| s.into_owned());
    let pair = format!("{}:{}", decode(url.username())?, decode(url.password().unwrap_or(""))?);
    let encoded = base64::engine::general_purpose::STANDARD.encode(pair);
    let mut value = HeaderValue::from_str(&format!("Basic {encoded}")).ok()?;
    value.set_sensitive(true);
    Some(value)
}

/// The connection, once it can take a request; `None` if there is none or it closed.
async fn ready(sender: Option<Sender>) -> Option<Sender> {
    let mut sender = sender?;
    sender.ready().await.ok()?;
    Some(sender)
}

/// One worker's connections: a slot per URL of the client, empty until first used.
#[derive(Debug, Default)]
pub struct Conns {
    /// Indexed like the client's URLs.
    pub slots: Vec<Option<Sender>>,
}

/// Connections waiting between batches, at most one [`Conns`] per unit of concurrency.
#[derive(Debug)]
pub struct Idle {
    /// Checked-in connection sets, used last-in first-out.
    stack: Mutex<Vec<Conns>>,
    /// Slots in a new [`Conns`]: the number of URLs.
    urls: usize,
    /// Sets kept beyond this are dropped, closing their connections.
    max: usize,
}

impl Idle {
    pub fn new(urls: usize, max: usize) -> Self {
        Self { stack: Mutex::new(Vec::new()), urls, max }
    }

    /// Takes a set of idle connections, or a new, empty one.
    pub fn check_out(&self) -> Conns {
        let conns = self.stack.lock().unwrap_or_else(PoisonError::into_inner).pop();
        conns.unwrap_or_else(|| Conns { slots: (0..self.urls).map(|_| None).collect() })
    }

    /// Puts a set back for the next batch.
    pub fn check_in(&self, conns: Conns) {
        let mut stack = self.stack.lock().unwrap_or_else(PoisonError::into_inner);
        if stack.len() < self.max && conns.slots.iter().any(Option::is_some) {
            stack.push(conns);
        }
    }
}
