//! Drives leaksoak's load generator (`leaksoak::load`) against a URL and prints what it achieved: the
//! requests per second, errors by kind and latency percentiles. `scripts/bench-load` runs it side by side
//! with `oha` and `wrk`.
//!
//! ```sh
//! cargo run --release --example loadgen -- --url http://127.0.0.1:9477/v1 --concurrency 64 --duration 10s
//! ```
//!
//! The last stdout line is machine-readable: `loadgen rps=… requests=… errors=… p50_ms=… p99_ms=…`.

use clap::{ArgAction, Parser};
use leaksoak::load::{BatchStats, Client, run_batch};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Requests per batch, per unit of concurrency, in `--duration` mode: large enough that the drain at the
/// end of a batch (workers idle while the last requests finish) costs well under 1 % of the time.
const BATCH_PER_WORKER: u64 = 256;

/// Command line of the example.
#[derive(Debug, Parser)]
#[command(about = "Drive leaksoak's load generator against a URL and report requests/s")]
struct Args {
    /// Base URL of an OpenAI-compatible API (`http://127.0.0.1:PORT/v1`), or the full URL with `--api http`.
    #[arg(long)]
    url: String,
    /// Requests in flight.
    #[arg(long, default_value_t = 64)]
    concurrency: u64,
    /// How long to send for (ignored with `--requests`).
    #[arg(long, default_value = "10s", value_parser = humantime::parse_duration)]
    duration: Duration,
    /// Send exactly this many requests instead of running for `--duration`.
    #[arg(long)]
    requests: Option<u64>,
    /// Ask for server-sent-event streams.
    #[arg(long, default_value_t = false, action = ArgAction::Set)]
    stream: bool,
    /// `chat`, `completions`, `embeddings` or `http` (a plain GET).
    #[arg(long, default_value = "chat")]
    api: String,
    /// Print the request body the generator sends, and exit (so other tools can send the same one).
    #[arg(long)]
    print_body: bool,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let client = Arc::new(client(&args)?);
    if args.print_body {
        println!("{}", String::from_utf8_lossy(client.body()));
        return Ok(());
    }
    // Multi-threaded, one worker per CPU the process may use: one under `taskset -c 1`.
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let started = Instant::now();
    let stats = runtime.block_on(drive(&client, &args));
    report(&stats, started.elapsed());
    Ok(())
}

/// The scenario the flags describe, validated as a config file would be.
fn client(args: &Args) -> anyhow::Result<Client> {
    let toml_text = format!(
        "[fake_llm]\nenabled = false\n[[scenario]]\nname = \"loadgen\"\nurl = {url:?}\napi = {api:?}\n\
         stream = {stream}\nconcurrency = {concurrency}\n",
        url = args.url,
        api = args.api,
        stream = args.stream,
        concurrency = args.concurrency,
    );
    let raw: leaksoak::settings::RawSettings = toml::from_str(&toml_text)?;
    let settings = raw.validate().map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(Client::new(&settings.scenarios[0], None)?)
}

/// Sends `--requests` requests in one batch, or batches until `--duration` has elapsed.
async fn drive(client: &Arc<Client>, args: &Args) -> BatchStats {
    let concurrency = usize::try_from(args.concurrency).unwrap_or(usize::MAX);
    if let Some(n) = args.requests {
        return run_batch(client, n, concurrency).await;
    }
    let started = Instant::now();
    let mut total = BatchStats::new();
    let full = args.concurrency * BATCH_PER_WORKER;
    while let Some(left) = args.duration.checked_sub(started.elapsed()) {
        if left.is_zero() {
            break;
        }
        // Size the batch to end near the deadline, at the rate measured so far.
        let rate = total.requests as f64 / started.elapsed().as_secs_f64().max(1e-3);
        let fits = (rate * left.as_secs_f64()) as u64;
        let n = if total.requests == 0 { full } else { fits.clamp(args.concurrency, full) };
        total.merge(&run_batch(client, n, concurrency).await);
    }
    total
}

fn report(stats: &BatchStats, elapsed: Duration) {
    let rps = stats.requests as f64 / elapsed.as_secs_f64();
    let ms = |micros: u64| micros as f64 / 1000.0;
    let errors: Vec<String> =
        stats.errors.iter().filter(|(_, n)| *n > 0).map(|(kind, n)| format!("{}={n}", kind.as_str())).collect();
    println!(
        "{} requests in {:.2}s, {} failed ({})",
        stats.requests,
        elapsed.as_secs_f64(),
        stats.failed(),
        if errors.is_empty() { "none".to_string() } else { errors.join(", ") }
    );
    if !stats.time_to_first_token.is_empty() {
        println!(
            "time to first token: p50 {:.2} ms, p99 {:.2} ms",
            ms(stats.time_to_first_token.value_at_quantile(0.5)),
            ms(stats.time_to_first_token.value_at_quantile(0.99))
        );
    }
    println!(
        "loadgen rps={rps:.1} requests={} errors={} p50_ms={:.2} p99_ms={:.2}",
        stats.requests,
        stats.failed(),
        ms(stats.latency.value_at_quantile(0.5)),
        ms(stats.latency.value_at_quantile(0.99))
    );
}
