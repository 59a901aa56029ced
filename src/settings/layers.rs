//! Layered loading with the `config` crate: defaults → `--config FILE` → `LEAKSOAK__SECTION__KEY`, then
//! `LEAKSOAK__SCENARIO__<index>__<KEY>` on the effective scenario list ([`env_scenarios`]).
//!
//! The merged tree is deserialized one key at a time, so that a type error does not hide the problems of
//! the other keys (a bad key takes its default), and unknown keys are collected, each named by its full
//! path. `nan` and `inf` are caught on the way, since the tree is JSON, which has neither.

use super::env_scenarios;
use super::env_sections::{self, ENV_PREFIX};
use super::problems::{Problems, SecretReading, SettingsError};
use super::{RawSettings, Settings};
use crate::files::FileError;
use config::{Config, Environment, File, FileFormat};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::ffi::OsString;
use std::path::Path;

/// The largest configuration file read: 1 MiB, a thousand times the shipped default. A larger one is not a
/// configuration (a log, a core dump) and would be read whole into memory.
pub const MAX_CONFIG_BYTES: u64 = 1024 * 1024;

/// Loads and validates: the one call the daemon and every command make.
///
/// Problems of shape (unknown keys, wrong types) and of value are reported together: a key that did not
/// parse takes its default, so the rest of the file is still validated.
pub fn load(file: Option<&Path>) -> Result<Settings, SettingsError> {
    load_with(file, SecretReading::Read)
}

/// [`load`], reading the secrets the configuration names or not (`check-config --skip-secrets`).
pub fn load_with(file: Option<&Path>, secrets: SecretReading) -> Result<Settings, SettingsError> {
    let (raw, shape) = layered(file)?;
    let mut problems = Problems::new(secrets);
    problems.append(shape);
    validated(raw, problems)
}

/// Shape and value problems of a merged tree, together.
pub(super) fn validated_tree(tree: &Value, mut problems: Problems) -> Result<Settings, SettingsError> {
    let (raw, shape) = from_tree(tree);
    problems.append(shape);
    validated(raw, problems)
}

/// Adds the value problems of `raw` to its shape problems; secrets are read as `problems` says.
fn validated(raw: RawSettings, mut problems: Problems) -> Result<Settings, SettingsError> {
    match raw.validate_with(problems.secret_reading()) {
        Ok(settings) => problems.finish(settings),
        Err(e) => {
            problems.extend_from(e);
            problems.finish(Settings::embedded_default())
        }
    }
}

/// Loads the merged configuration without validating values (for `print-config` and `check-config`).
pub fn load_raw(file: Option<&Path>) -> Result<RawSettings, SettingsError> {
    let (raw, problems) = layered(file)?;
    problems.finish(raw)
}

/// Every layer, with the problems of shape found on the way.
fn layered(file: Option<&Path>) -> Result<(RawSettings, Problems), SettingsError> {
    let mut problems = Problems::default();
    let vars = environment(std::env::vars_os(), &mut problems);
    let sections = env_sections::usable(&vars, &mut problems);
    let tree = merged_tree(file, sections, &mut problems)?;
    let (mut raw, shape) = from_tree(&tree);
    problems.append(shape);
    env_scenarios::apply(&vars, &mut raw.scenario, &mut problems);
    Ok((raw, problems))
}

/// The environment as text. `std::env::vars` would panic on a variable that is not UTF-8: one of ours is a
/// problem naming it, any other is none of our business and skipped.
fn environment(vars: impl Iterator<Item = (OsString, OsString)>, p: &mut Problems) -> Vec<(String, String)> {
    let ours = format!("{ENV_PREFIX}__");
    let mut out = vec![];
    for (name, value) in vars {
        let shown = name.to_string_lossy().into_owned();
        match (name.into_string(), value.into_string()) {
            (Ok(name), Ok(value)) => out.push((name, value)),
            _ if shown.to_ascii_uppercase().starts_with(&ours) => p.push(shown, "is not UTF-8 text"),
            _ => {}
        }
    }
    out
}

/// Defaults, the file and the environment's section variables, merged by the `config` crate.
fn merged_tree(
    file: Option<&Path>,
    sections: config::Map<String, String>,
    p: &mut Problems,
) -> Result<Value, SettingsError> {
    let mut builder = Config::builder();
    if let Some(path) = file {
        let text = config_text(path)?;
        syntax(&text, path)?;
        builder = builder.add_source(File::from_str(&text, FileFormat::Toml));
    }
    let env = Environment::with_prefix(ENV_PREFIX)
        .prefix_separator("__")
        .separator("__")
        .try_parsing(true)
        .source(Some(sections));
    let merged = builder.add_source(env).build().map_err(|e| SettingsError::one(origin(file), e.to_string()))?;
    let tree = merged.try_deserialize::<toml::Value>().map_err(|e| SettingsError::one(origin(file), e.to_string()))?;
    Ok(json_tree(tree, p))
}

/// The text of `--config`: a regular file, read up to [`MAX_CONFIG_BYTES`] whatever size it says it has (a
/// file in `/proc` says 0); what it is otherwise is said.
fn config_text(path: &Path) -> Result<String, SettingsError> {
    let shown = path.display();
    let fail = |problem: String| SettingsError::one("--config", problem);
    match std::fs::metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(fail(format!("no such file: {shown}"))),
        Err(e) => return Err(fail(format!("cannot read {shown}: {e}"))),
        Ok(m) if m.is_dir() => return Err(fail(format!("{shown} is a directory, not a file"))),
        Ok(m) if !m.is_file() => return Err(fail(format!("{shown} is not a regular file"))),
        Ok(_) => {}
    }
    // Read through the bounded reader too: a FIFO put in its place after the check is refused, not waited on.
    crate::files::read_text_capped(path, MAX_CONFIG_BYTES).map_err(|e| match e {
        FileError::TooLong { .. } => {
            fail(format!("{shown} is longer than {MAX_CONFIG_BYTES} bytes: not a configuration"))
        }
        FileError::NotText { .. } => fail(format!("{shown} is not UTF-8 text")),
        FileError::NotRegular { kind, .. } => fail(format!("{shown} is {kind}, not a regular file")),
        FileError::Io { detail, .. } => fail(format!("cannot read {shown}: {detail}")),
    })
}

/// A TOML syntax error in `--config`, as its line, column and the parser's message, never the line itself
/// (the `config` crate's message quotes it, and a line may hold a password).
fn syntax(text: &str, path: &Path) -> Result<(), SettingsError> {
    let Err(e) = text.parse::<toml::Table>() else { return Ok(()) };
    let at = e.span().map_or_else(String::new, |span| {
        let before = text.get(..span.start).unwrap_or(text);
        let line = before.matches('\n').count() + 1;
        let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
        format!(" at line {line}, column {column}")
    });
    let message = e.message().trim();
    Err(SettingsError::one(path.display().to_string(), format!("TOML syntax error{at}: {message}")))
}

fn origin(file: Option<&Path>) -> String {
    file.map_or_else(|| "environment".to_string(), |p| p.display().to_string())
}

/// A parsed TOML tree as JSON, for deserializing section by section. JSON has no `nan` or `inf`: such a
/// value is a problem naming its key, and the key is dropped so that it takes its default.
fn json_tree(mut tree: toml::Value, p: &mut Problems) -> Value {
    drop_non_finite(&mut tree, "", p);
    serde_json::to_value(tree).unwrap_or(Value::Null)
}

fn drop_non_finite(value: &mut toml::Value, at: &str, p: &mut Problems) {
    let join = |key: &str| if at.is_empty() { key.to_owned() } else { format!("{at}.{key}") };
    match value {
        toml::Value::Table(table) => table.retain(|key, v| match v {
            toml::Value::Float(f) if !f.is_finite() => p.finite(&join(key), *f),
            _ => {
                drop_non_finite(v, &join(key), p);
                true
            }
        }),
        toml::Value::Array(items) => {
            for (i, v) in items.iter_mut().enumerate() {
                drop_non_finite(v, &format!("{at}[{i}]"), p);
            }
        }
        _ => {}
    }
}

/// Deserializes a merged tree into raw settings, filling every absent key with its default.
pub(super) fn from_tree(tree: &Value) -> (RawSettings, Problems) {
    let mut p = Problems::default();
    let mut raw = RawSettings::default();
    let Value::Object(top) = tree else {
        p.push("(root)", "the configuration must be a table");
        return (raw, p);
    };
    for (key, value) in top {
        match key.as_str() {
            "server" => section(value, key, &mut p, &mut raw.server),
            "cycle" => section(value, key, &mut p, &mut raw.cycle),
            "analysis" => section(value, key, &mut p, &mut raw.analysis),
            "memory" => section(value, key, &mut p, &mut raw.memory),
            "fake_llm" => section(value, key, &mut p, &mut raw.fake_llm),
            "telemetry" => section(value, key, &mut p, &mut raw.telemetry),
            "record" => section(value, key, &mut p, &mut raw.record),
            "scenario" => scenarios(value, &mut p, &mut raw.scenario),
            _ => p.push(key.clone(), "unknown key"),
        }
    }
    (raw, p)
}

fn scenarios(value: &Value, p: &mut Problems, out: &mut Vec<super::scenario::RawScenario>) {
    let Value::Array(items) = value else {
        p.push("scenario", "must be a list of tables ([[scenario]])");
        return;
    };
    out.clear();
    for (i, item) in items.iter().enumerate() {
        let mut s = super::scenario::RawScenario::default();
        section(item, &format!("scenario[{i}]"), p, &mut s);
        out.push(s);
    }
}

/// Deserializes one section key by key over its current value (the defaults): a key that does not parse is
/// a problem with its path and keeps its default, the others are kept, so every bad key of a section is
/// reported at once. Unknown keys, at any depth, are problems too.
fn section<T: DeserializeOwned + Serialize>(value: &Value, at: &str, p: &mut Problems, out: &mut T) {
    let Value::Object(keys) = value else {
        p.push(at, "must be a table");
        return;
    };
    let Ok(Value::Object(mut accepted)) = serde_json::to_value(&*out) else {
        unreachable!("a section serializes to a table");
    };
    for (key, v) in keys {
        if !accepted.contains_key(key) {
            p.push(format!("{at}.{key}"), "unknown key");
            continue;
        }
        let mut candidate = accepted.clone();
        candidate.insert(key.clone(), v.clone());
        let candidate = Value::Object(candidate);
        match deserialize::<T>(&candidate) {
            Ok(_) => accepted = candidate.as_object().cloned().unwrap_or_default(),
            Err((path, e)) => p.push(format!("{at}.{path}"), e),
        }
    }
    let mut unknown = vec![];
    let accepted = Value::Object(accepted);
    if let Ok(v) = serde_ignored::deserialize(&accepted, |path| unknown.push(path.to_string())) {
        *out = v;
    }
    for path in unknown {
        p.push(format!("{at}.{path}"), "unknown key");
    }
}

/// Deserializes `value`; a type error comes back with its path.
fn deserialize<T: DeserializeOwned>(value: &Value) -> Result<T, (String, String)> {
    let mut track = serde_path_to_error::Track::new();
    let tracked = serde_path_to_error::Deserializer::new(value, &mut track);
    T::deserialize(tracked).map_err(|e| (track.path().to_string(), e.to_string()))
}

/// TOML text as a tree (non-finite numbers dropped and reported), as [`merged_tree`] makes one.
pub(super) fn toml_tree(text: &str) -> Result<(Value, Problems), SettingsError> {
    let table: toml::Table = text.parse().map_err(|e: toml::de::Error| SettingsError::one("(toml)", e.message()))?;
    let mut p = Problems::default();
    Ok((json_tree(toml::Value::Table(table), &mut p), p))
}

#[cfg(test)]
pub(super) fn from_toml(text: &str) -> Result<RawSettings, SettingsError> {
    let (tree, mut problems) = toml_tree(text)?;
    let (raw, shape) = from_tree(&tree);
    problems.append(shape);
    problems.finish(raw)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::ffi::OsStringExt as _;

    #[test]
    fn a_config_file_is_read_at_most_to_its_cap() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("big.toml");
        std::fs::write(&file, "#".repeat(1 << 20)).expect("write");
        assert!(config_text(&file).is_ok());
        std::fs::write(&file, "#".repeat((1 << 20) + 1)).expect("write");
        let err = config_text(&file).expect_err("one byte too many");
        assert!(err.to_string().contains("is longer than 1048576 bytes: not a configuration"), "{err}");
        let err = config_text(Path::new("/dev/zero")).expect_err("a device");
        assert!(err.to_string().contains("/dev/zero is not a regular file"), "{err}");
    }

    #[test]
    fn a_variable_that_is_not_utf8_is_named_if_ours_and_skipped_otherwise() {
        let bytes = |s: &[u8]| OsString::from_vec(s.to_vec());
        let vars = [
            (bytes(b"JUNK"), bytes(b"\xff")),
            (bytes(b"LEAKSOAK__CYCLE__PAUSE"), bytes(b"1\xffs")),
            (bytes(b"LEAKSOAK__CYCLE__BATCH_SIZE"), bytes(b"7")),
        ];
        let mut p = Problems::default();
        let kept = environment(vars.into_iter(), &mut p);
        assert_eq!(kept, [("LEAKSOAK__CYCLE__BATCH_SIZE".to_owned(), "7".to_owned())]);
        let problems = p.finish(()).expect_err("one problem").problems;
        assert_eq!(
            problems.iter().map(ToString::to_string).collect::<Vec<_>>(),
            ["LEAKSOAK__CYCLE__PAUSE: is not UTF-8 text"]
        );
    }
}
