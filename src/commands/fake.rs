//! `leaksoak fake-llm`: the built-in fake endpoint as a process of its own, its flags applied over the
//! `[fake_llm]` section so that validation names the keys.

use super::{Signals, one_line, report_bad_config, runtime_listening};
use crate::cli::{FakeLlmArgs, exit};
use crate::settings::{self, RawSettings, SettingsError};
use std::io::Write;
use tokio_util::sync::CancellationToken;

/// Applies the `fake-llm` flags over the loaded `[fake_llm]` section, so validation names the keys.
fn apply_fake_flags(raw: &mut RawSettings, args: &FakeLlmArgs) -> Result<(), SettingsError> {
    let f = &mut raw.fake_llm;
    if let Some(listen) = args.listen {
        f.listen = listen.to_string();
    }
    for (key, flag, slot) in [
        ("fake_llm.latency", &args.latency, &mut f.latency),
        ("fake_llm.slow_model_latency", &args.slow_model_latency, &mut f.slow_model_latency),
        ("fake_llm.stream_chunk_delay", &args.stream_chunk_delay, &mut f.stream_chunk_delay),
        ("fake_llm.drowning_delay_per_mib", &args.drowning_delay_per_mib, &mut f.drowning_delay_per_mib),
    ] {
        if let Some(text) = flag {
            *slot = duration(key, text)?;
        }
    }
    f.drowning_bytes_per_request = args.drowning_bytes_per_request.unwrap_or(f.drowning_bytes_per_request);
    f.stream_chunks = args.stream_chunks.unwrap_or(f.stream_chunks);
    f.error_rate = args.error_rate.unwrap_or(f.error_rate);
    f.leak_bytes_per_request = args.leak_bytes_per_request.unwrap_or(f.leak_bytes_per_request);
    f.leak_bytes_per_error = args.leak_bytes_per_error.unwrap_or(f.leak_bytes_per_error);
    f.leak_bytes_per_cancelled = args.leak_bytes_per_cancelled.unwrap_or(f.leak_bytes_per_cancelled);
    f.fail_model = args.fail_model.clone().unwrap_or(std::mem::take(&mut f.fail_model));
    f.fail_model_rate = args.fail_model_rate.unwrap_or(f.fail_model_rate);
    f.slow_model = args.slow_model.clone().unwrap_or(std::mem::take(&mut f.slow_model));
    f.leak_fds_every = args.leak_fds_every.unwrap_or(f.leak_fds_every);
    f.leak_sockets_every = args.leak_sockets_every.unwrap_or(f.leak_sockets_every);
    f.leak_threads_every = args.leak_threads_every.unwrap_or(f.leak_threads_every);
    f.plateau = args.plateau.clone().unwrap_or(std::mem::take(&mut f.plateau));
    f.plateau_bytes_per_request = args.plateau_bytes_per_request.unwrap_or(f.plateau_bytes_per_request);
    f.plateau_chunk_bytes = args.plateau_chunk_bytes.unwrap_or(f.plateau_chunk_bytes);
    f.plateau_limit_bytes = args.plateau_limit_bytes.unwrap_or(f.plateau_limit_bytes);
    Ok(())
}

/// A duration flag, its error naming the key it sets.
fn duration(key: &str, text: &str) -> Result<settings::HumaneDuration, SettingsError> {
    humantime::parse_duration(text)
        .map(settings::HumaneDuration)
        .map_err(|e| SettingsError::one(key, format!("invalid duration {text:?} ({e})")))
}

pub(super) fn fake_llm(args: &FakeLlmArgs) -> u8 {
    let loaded = settings::load_raw(args.config.as_deref()).and_then(|mut raw| {
        apply_fake_flags(&mut raw, args)?;
        // Only the fake endpoint is served here, so `server.listen` can neither clash with it nor matter.
        raw.server.listen = "127.0.0.1:0".into();
        raw.validate()
    });
    let settings = match loaded {
        Ok(s) => s,
        Err(e) => return report_bad_config(&e),
    };
    let Some((rt, signals)) = runtime_listening() else { return exit::INCONCLUSIVE };
    crate::telemetry::init_logs(settings.telemetry.log_format);
    match rt.block_on(serve_fake(settings.fake_llm, signals)) {
        Ok(()) => exit::OK,
        Err(e) => {
            eprintln!("leaksoak fake-llm: {}", one_line(&e));
            exit::INCONCLUSIVE
        }
    }
}

async fn serve_fake(fake: settings::FakeLlm, signals: Signals) -> anyhow::Result<()> {
    use anyhow::Context as _;
    let listener = tokio::net::TcpListener::bind(fake.listen)
        .await
        .with_context(|| format!("cannot listen on {}", fake.listen))?;
    let addr = listener.local_addr()?;
    // The address goes to stdout so scripts and tests can start it on port 0 and read where it is.
    println!("fake-llm listening on http://{addr}/v1");
    std::io::stdout().flush()?;
    tracing::info!(%addr, "fake OpenAI-compatible endpoint started");
    let shutdown = CancellationToken::new();
    let server = tokio::spawn(crate::fake_llm::serve(listener, fake, shutdown.clone().cancelled_owned()));
    signals.received().await;
    shutdown.cancel();
    server.await.context("the fake endpoint task failed")?;
    Ok(())
}
