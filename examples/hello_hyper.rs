//! A minimal hyper 1 hello-world server (HTTP/1.1, keep-alive), the baseline `scripts/bench-load` measures
//! the fake endpoint against. Same accept loop as `leaksoak::fake_llm::serve`, minus the routing and the
//! graceful shutdown.
//!
//! ```sh
//! cargo run --release --example hello_hyper -- 127.0.0.1:0   # prints `hello listening on http://ADDR`
//! ```

use bytes::Bytes;
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::io::Write as _;
use std::time::Duration;
use tokio::net::TcpListener;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:0".into());
    let listener = TcpListener::bind(&addr).await?;
    println!("hello listening on http://{}", listener.local_addr()?);
    std::io::stdout().flush()?;
    let mut http = http1::Builder::new();
    http.keep_alive(true);
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                let _ = stream.set_nodelay(true);
                let conn = http.serve_connection(TokioIo::new(stream), service_fn(hello));
                tokio::spawn(async move {
                    let _ = conn.await;
                });
            }
            Err(e) => {
                eprintln!("hello_hyper: accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

async fn hello(_req: http::Request<hyper::body::Incoming>) -> Result<http::Response<Full<Bytes>>, Infallible> {
    Ok(http::Response::new(Full::new(Bytes::from_static(b"Hello, World!"))))
}
