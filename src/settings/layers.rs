//! Layered loading with the `config` crate: defaults → `--config FILE` → `LEAKSOAK__SECTION__KEY`, then
//! `LEAKSOAK__SCENARIO__<index>__<KEY>` on the effective scenario list ([`env_scenarios`]).
//!
//! The merged tree is deserialized one section at a time, so that a type error in one section does not
//! hide the problems of the others, and unknown keys are collected (not rejected one by one) with
//! `serde_ignored`, each named by its full path.

use super::env_scenarios;
use super::problems::{Problems, SettingsError};
use super::{RawSettings, Settings};
use config::{Config, Environment, File, FileFormat};
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::path::Path;

/// Environment variables `LEAKSOAK__SECTION__KEY` override the file.
pub const ENV_PREFIX: &str = "LEAKSOAK";

/// Loads and validates: the one call the daemon and every command make.
///
/// Problems of shape (unknown keys, wrong types) and of value are reported together: a key that did not
/// parse takes its default, so the rest of the file is still validated.
pub fn load(file: Option<&Path>) -> Result<Settings, SettingsError> {
    let (raw, problems) = layered(file)?;
    validated(raw, problems)
}

/// Shape and value problems of a merged tree, together.
pub(super) fn validated_tree(tree: &Value) -> Result<Settings, SettingsError> {
    let (raw, problems) = from_tree(tree);
    validated(raw, problems)
}

/// Adds the value problems of `raw` to its shape problems.
fn validated(raw: RawSettings, mut problems: Problems) -> Result<Settings, SettingsError> {
    match raw.validate() {
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
    let vars: Vec<(String, String)> = std::env::vars().collect();
    let (mut raw, mut problems) = from_tree(&merged_tree(file, &vars)?);
    env_scenarios::apply(&vars, &mut raw.scenario, &mut problems);
    Ok((raw, problems))
}

/// Defaults, the file and the environment's section variables, merged by the `config` crate.
fn merged_tree(file: Option<&Path>, vars: &[(String, String)]) -> Result<Value, SettingsError> {
    let mut builder = Config::builder();
    if let Some(path) = file {
        if !path.is_file() {
            return Err(SettingsError::one("--config", format!("no such file: {}", path.display())));
        }
        builder = builder.add_source(File::from(path).format(FileFormat::Toml).required(true));
    }
    let sections: config::Map<String, String> =
        vars.iter().filter(|(name, _)| !env_scenarios::is_scenario_var(name)).cloned().collect();
    let env = Environment::with_prefix(ENV_PREFIX)
        .prefix_separator("__")
        .separator("__")
        .try_parsing(true)
        .source(Some(sections));
    let merged = builder.add_source(env).build().map_err(|e| SettingsError::one(origin(file), e.to_string()))?;
    merged.try_deserialize::<Value>().map_err(|e| SettingsError::one(origin(file), e.to_string()))
}

fn origin(file: Option<&Path>) -> String {
    file.map_or_else(|| "environment".to_string(), |p| p.display().to_string())
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

/// Deserializes one section, recording its unknown keys and its first type error with their paths.
fn section<T: DeserializeOwned>(value: &Value, at: &str, p: &mut Problems, out: &mut T) {
    if !value.is_object() {
        p.push(at, "must be a table");
        return;
    }
    let mut unknown = vec![];
    let mut track = serde_path_to_error::Track::new();
    let tracked = serde_path_to_error::Deserializer::new(value, &mut track);
    let result: Result<T, _> = serde_ignored::deserialize(tracked, |path| unknown.push(path.to_string()));
    for path in unknown {
        p.push(format!("{at}.{path}"), "unknown key");
    }
    match result {
        Ok(v) => *out = v,
        Err(e) => p.push(format!("{at}.{}", track.path()), e.to_string()),
    }
}

#[cfg(test)]
pub(super) fn from_toml(text: &str) -> Result<RawSettings, SettingsError> {
    let tree: Value = toml::from_str(text).map_err(|e| SettingsError::one("(toml)", e.to_string()))?;
    let (raw, problems) = from_tree(&tree);
    problems.finish(raw)
}
