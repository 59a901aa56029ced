//! The `rust-version` in Cargo.toml is true: no locked package (dependency, dev-dependency or build
//! dependency) declares a newer one. Only one toolchain exists where the tests run, so the oldest one that
//! builds the crate cannot be tried; the packages' own declarations, read from `cargo metadata`, are checked
//! instead.

use std::process::Command;

use serde_json::Value;

/// A `rust-version` as numbers: `"1.88"` → `[1, 88, 0]`, `"1.85.1"` → `[1, 85, 1]`.
fn parsed(version: &str) -> Vec<u64> {
    let mut parts: Vec<u64> =
        version.split('.').map(|p| p.parse().unwrap_or_else(|_| panic!("a rust-version: {version}"))).collect();
    parts.resize(3, 0);
    parts
}

/// `cargo metadata` for the locked graph on this host's platform, offline (the packages a build or test
/// needs are already downloaded; the other platforms' packages are not needed to read their versions).
fn metadata() -> Value {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let host = host_triple();
    let output = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--locked", "--offline", "--filter-platform", &host])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run cargo metadata");
    assert!(output.status.success(), "cargo metadata failed: {}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).expect("cargo metadata prints JSON")
}

/// The host triple, from `rustc -vV`.
fn host_triple() -> String {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_owned());
    let output = Command::new(rustc).arg("-vV").output().expect("run rustc -vV");
    let text = String::from_utf8(output.stdout).expect("rustc -vV prints UTF-8");
    text.lines().find_map(|l| l.strip_prefix("host: ")).expect("rustc -vV names the host").to_owned()
}

#[test]
fn no_locked_package_needs_a_newer_rust_than_the_crate_declares() {
    let metadata = metadata();
    let packages = metadata["packages"].as_array().expect("a package list");
    let declared = |p: &Value| p["rust_version"].as_str().map(str::to_owned);
    let ours = packages.iter().find(|p| p["name"] == "leaksoak").expect("leaksoak in its own metadata");
    let ours = declared(ours).expect("Cargo.toml declares rust-version");
    let newer: Vec<String> = packages
        .iter()
        .filter_map(|p| Some((p["name"].as_str()?, p["version"].as_str()?, declared(p)?)))
        .filter(|(_, _, theirs)| parsed(theirs) > parsed(&ours))
        .map(|(name, version, theirs)| format!("{name} {version} needs {theirs}"))
        .collect();
    assert!(newer.is_empty(), "Cargo.toml says rust-version = {ours}, but: {}", newer.join(", "));
}
