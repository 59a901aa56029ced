//! The `scrape` and `promql` memory sources against a real Prometheus (the Debian package, 2.42) behind
//! basic auth and TLS, as a staging Prometheus is: `--web.config.file` with a bcrypt hash of a test password
//! made here, and a server certificate signed by a CA made here (rcgen). Prometheus scrapes itself through
//! the same door, so `process_resident_memory_bytes{job="prometheus"}` is a labelled series to query, and
//! its own `/metrics` page is one to scrape. Network: 127.0.0.1 only.

use crate::helpers::{bin, free_port, http, logged_address_in_file, sample_value};
use base64::Engine;
use leaksoak::memory::{Error, Sampler};
use leaksoak::settings::Memory;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const USER: &str = "leaksoak";
/// The test password: it must appear in nothing the daemon writes.
const PASSWORD: &str = "pw-staging-7f3a9c1e5b";
const QUERY: &str = "process_resident_memory_bytes{job=\"prometheus\"}";

/// A Prometheus behind basic auth and TLS on a loopback port, stopped when dropped.
struct Prometheus {
    child: Child,
    port: u16,
    /// Holds the CA, the certificate, the password file, the configs and the data.
    dir: tempfile::TempDir,
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Prometheus {
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn base(&self) -> String {
        format!("https://127.0.0.1:{}", self.port)
    }

    /// `[memory]` keys with the password file and the CA.
    fn auth_keys(&self) -> String {
        format!(
            "basic_auth_user = \"{USER}\"\nbasic_auth_password_file = {:?}\nca_file = {:?}\n",
            self.path("password"),
            self.path("ca.pem")
        )
    }
}

/// A CA, and a certificate for 127.0.0.1 and localhost signed by it: (CA PEM, certificate PEM, key PEM).
fn certificates() -> (String, String, String) {
    use rcgen::{BasicConstraints, CertificateParams, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose};
    let mut ca = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name.push(rcgen::DnType::CommonName, "leaksoak test CA");
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
    let ca_key = KeyPair::generate().expect("CA key");
    let ca_pem = ca.self_signed(&ca_key).expect("CA certificate").pem();
    let issuer = Issuer::new(ca, ca_key);
    let mut leaf = CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()]).expect("params");
    leaf.distinguished_name.push(rcgen::DnType::CommonName, "127.0.0.1");
    leaf.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let key = KeyPair::generate().expect("key");
    let cert = leaf.signed_by(&key, &issuer).expect("certificate");
    (ca_pem, cert.pem(), key.serialize_pem())
}

/// Starts Prometheus with TLS and basic auth, scraping itself every second through them, and waits (at most
/// 60 s) until the query has a sample, read through leaksoak's own `promql` source.
async fn start_prometheus() -> Prometheus {
    let dir = tempfile::tempdir().expect("tempdir");
    let (ca, cert, key) = certificates();
    let write = |name: &str, text: &str| std::fs::write(dir.path().join(name), text).expect("write");
    write("ca.pem", &ca);
    write("server.pem", &cert);
    write("server.key", &key);
    write("password", &format!("{PASSWORD}\n"));
    // Cost 4, bcrypt's least: each request is checked against it, and the test only needs the format.
    let hash = bcrypt::hash(PASSWORD, 4).expect("bcrypt");
    write(
        "web.yml",
        &format!(
            "tls_server_config:\n  cert_file: server.pem\n  key_file: server.key\n\
             basic_auth_users:\n  {USER}: '{hash}'\n"
        ),
    );
    let port = free_port();
    let at = |name: &str| dir.path().join(name).display().to_string();
    write(
        "prometheus.yml",
        &format!(
            "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: prometheus\n    scheme: https\n    \
             tls_config:\n      ca_file: {}\n    basic_auth:\n      username: {USER}\n      password_file: {}\n    \
             static_configs:\n      - targets: ['127.0.0.1:{port}']\n",
            at("ca.pem"),
            at("password")
        ),
    );
    let child = Command::new("prometheus")
        .arg(format!("--config.file={}", at("prometheus.yml")))
        .arg(format!("--web.config.file={}", at("web.yml")))
        .arg(format!("--storage.tsdb.path={}", at("data")))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("prometheus (Debian package prometheus; scripts/test installs it)");
    let prometheus = Prometheus { child, port, dir };
    let mut source = sampler(&prometheus, "promql", &prometheus.auth_keys());
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        match source.sample().await {
            Ok(_) => return prometheus,
            Err(e) => assert!(Instant::now() < deadline, "Prometheus never answered {QUERY}: {e}"),
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// `[memory]` for `source` (`promql` or `scrape`) against `prometheus`, with `keys` added.
fn memory_config(prometheus: &Prometheus, source: &str, keys: &str) -> String {
    let target = match source {
        "promql" => format!("url = \"{}\"\nquery = '{QUERY}'", prometheus.base()),
        _ => format!("url = \"{}/metrics\"", prometheus.base()),
    };
    format!("[memory]\nsource = \"{source}\"\n{target}\nsettle = \"0ms\"\nsamples_per_batch = 1\n{keys}")
}

/// A sampler as the daemon would build it from [`memory_config`].
fn sampler(prometheus: &Prometheus, source: &str, keys: &str) -> Sampler {
    let settings = crate::helpers::settings(&memory_config(prometheus, source, keys));
    let memory = Memory { samples_per_batch: 1, settle: Duration::ZERO, ..settings.memory };
    Sampler::new(&memory).expect("a sampler")
}

#[tokio::test]
async fn both_sources_read_through_basic_auth_and_a_ca_and_name_what_fails_without_them() {
    let prometheus = start_prometheus().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let wrong = dir.path().join("wrong");
    std::fs::write(&wrong, "not-the-password\n").expect("write");
    let ca = format!("ca_file = {:?}\n", prometheus.path("ca.pem"));
    let wrong_password = format!("basic_auth_user = \"{USER}\"\nbasic_auth_password_file = {wrong:?}\n{ca}");
    let no_ca = prometheus.auth_keys().lines().filter(|l| !l.starts_with("ca_file")).collect::<Vec<_>>().join("\n");
    let insecure = format!("{no_ca}\ntls_insecure_skip_verify = true\n");
    for source in ["promql", "scrape"] {
        let reading = sampler(&prometheus, source, &prometheus.auth_keys()).sample().await;
        let reading = reading.unwrap_or_else(|e| panic!("{source} with the credentials and the CA: {e}"));
        assert!(reading.bytes > 1024 * 1024, "{source}: Prometheus' resident set, {} bytes", reading.bytes);
        assert!(sampler(&prometheus, source, &insecure).sample().await.is_ok(), "{source}, verification off");

        let err = sampler(&prometheus, source, &ca).sample().await.expect_err("no credentials");
        assert!(matches!(err, Error::AuthRefused { status: 401, credentials: false, .. }), "{source}: {err}");
        assert!(err.to_string().contains(&format!("GET {}/", prometheus.base())), "{err}");
        let err = sampler(&prometheus, source, &wrong_password).sample().await.expect_err("wrong password");
        assert!(matches!(err, Error::AuthRefused { status: 401, credentials: true, .. }), "{source}: {err}");
        assert!(err.to_string().contains("the credentials sent were refused"), "{err}");

        let err = sampler(&prometheus, source, &no_ca).sample().await.expect_err("CA not trusted");
        assert_eq!(err.kind(), "tls", "{source}: {err}");
        assert!(err.to_string().contains("TLS failure") && err.to_string().contains("UnknownIssuer"), "{err}");
    }
}

/// `leaksoak run` in its own process with `memory`, its log (at trace level) written to a file.
struct Run {
    child: Child,
    addr: std::net::SocketAddr,
    log: PathBuf,
    config: PathBuf,
}

impl Drop for Run {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn run(dir: &Path, name: &str, memory: &str) -> Run {
    let config = dir.join(format!("{name}.toml"));
    let text = format!(
        "[server]\nlisten = \"127.0.0.1:0\"\n[cycle]\nwarmup_batches = 0\nmax_settle_batches = 0\nbatch_size = 10\n\
         pause = \"30s\"\n{memory}\n[[scenario]]\nname = \"soak\"\nstream = false\nconcurrency = 2\n"
    );
    std::fs::write(&config, text).expect("write config");
    let log = dir.join(format!("{name}.log"));
    let child = bin()
        .args(["run", "--config"])
        .arg(&config)
        .env("RUST_LOG", "trace")
        .env("NO_COLOR", "1")
        .stderr(std::fs::File::create(&log).expect("log file"))
        .spawn()
        .expect("spawn leaksoak run");
    let addr = logged_address_in_file(&log);
    Run { child, addr, log, config }
}

impl Run {
    async fn get(&self, path: &str) -> String {
        let response = http().get(format!("http://{}{path}", self.addr)).send().await.expect("get");
        response.text().await.expect("text")
    }

    /// `/metrics` once a cycle of `soak` has ended with a verdict in `verdicts`; panics after 60 s.
    async fn cycle_ended(&self, verdicts: &[&str]) -> String {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let m = self.get("/metrics").await;
            let count =
                |v: &&str| sample_value(&m, &format!("leaksoak_cycles_total{{scenario=\"soak\",verdict=\"{v}\"}}"));
            if verdicts.iter().filter_map(count).sum::<f64>() >= 1.0 {
                return m;
            }
            assert!(Instant::now() < deadline, "no cycle ended {verdicts:?}; /report:\n{}", self.get("/report").await);
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// What `print-config` prints for this daemon's configuration, stdout and stderr.
    fn printed_config(&self) -> String {
        let out = bin().args(["print-config", "--config"]).arg(&self.config).output().expect("print-config");
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
    }
}

const JUDGED: &[&str] = &["stable", "leak", "noisy", "insufficient"];

#[tokio::test]
async fn daemons_judge_cycles_with_the_credentials_end_error_without_them_and_never_show_them() {
    let prometheus = start_prometheus().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let keys = prometheus.auth_keys();
    let ca = format!("ca_file = {:?}\n", prometheus.path("ca.pem"));
    // Credentials in the URL itself, with a wrong password: refused, and the URL shown without them.
    let in_url = memory_config(&prometheus, "promql", &ca)
        .replace("https://127.0.0.1", &format!("https://{USER}:url-pw-wrong-2c4e@127.0.0.1"));
    let runs = [
        run(dir.path(), "promql", &memory_config(&prometheus, "promql", &keys)),
        run(dir.path(), "scrape", &memory_config(&prometheus, "scrape", &keys)),
        run(dir.path(), "promql-no-credentials", &memory_config(&prometheus, "promql", &ca)),
        run(dir.path(), "promql-credentials-in-url", &in_url),
        run(dir.path(), "scrape-no-ca", &memory_config(&prometheus, "scrape", &keys.replace("ca_file", "# ca_file"))),
    ];
    let mut seen = String::new();
    for judged in &runs[..2] {
        seen.push_str(&judged.cycle_ended(JUDGED).await);
    }
    let endpoint = format!("{}/api/v1/query", prometheus.base());
    for (failing, expected) in runs[2..].iter().zip([
        format!("GET {endpoint}?query=process_resident_memory_bytes%7Bjob%3D%22prometheus%22%7D: HTTP status 401 Unauthorized: the server wants credentials and none are configured"),
        format!("GET {endpoint}?query=process_resident_memory_bytes%7Bjob%3D%22prometheus%22%7D: HTTP status 401 Unauthorized: the credentials sent were refused"),
        format!("GET {}/metrics: TLS failure: ", prometheus.base()),
    ]) {
        seen.push_str(&failing.cycle_ended(&["error"]).await);
        let report = failing.get("/report").await;
        assert!(report.contains(&expected), "expected {expected:?} in /report:\n{report}");
        assert!(!report.contains("url-pw-wrong") && !report.contains(&format!("{USER}@")), "{report}");
    }
    for r in &runs {
        for path in ["/status", "/report", "/readyz", "/healthz"] {
            seen.push_str(&r.get(path).await);
        }
        seen.push_str(&r.printed_config());
    }
    let logs: Vec<PathBuf> = runs.iter().map(|r| r.log.clone()).collect();
    drop(runs);
    for log in logs {
        seen.push_str(&std::fs::read_to_string(log).expect("log"));
    }
    assert!(seen.contains("soak started") && seen.contains("basic_auth_user"), "the scan saw real output");
    let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASSWORD}"));
    let encoded_in_url = base64::engine::general_purpose::STANDARD.encode(format!("{USER}:url-pw-wrong-2c4e"));
    for secret in [PASSWORD, encoded.as_str(), "url-pw-wrong-2c4e", encoded_in_url.as_str()] {
        assert!(!seen.contains(secret), "{secret} leaked");
    }
}
