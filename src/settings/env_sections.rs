//! `LEAKSOAK__SECTION__KEY`: checked before the `config` crate applies them, so that a variable that cannot
//! apply is a problem naming the variable, not a key the user never wrote. Scenario variables
//! (`LEAKSOAK__SCENARIO__<index>__<KEY>`) are [`super::env_scenarios`]'s.

use super::RawSettings;
use super::env_scenarios::is_scenario_var;
use super::problems::Problems;
use serde_json::Value;

/// Environment variables `LEAKSOAK__SECTION__KEY` override the file.
pub const ENV_PREFIX: &str = "LEAKSOAK";

/// The sections a variable can name.
const SECTIONS: &str = "server, cycle, analysis, memory, fake_llm, telemetry, record";

/// The section variables that can apply, keyed by name for the `config` crate's environment source; every
/// other one is a problem naming it. Names match case-insensitively, as the `config` crate reads them.
pub fn usable(vars: &[(String, String)], p: &mut Problems) -> config::Map<String, String> {
    let prefix = format!("{}__", ENV_PREFIX).to_ascii_lowercase();
    let defaults = serde_json::to_value(RawSettings::default()).unwrap_or_default();
    let mut out = config::Map::new();
    for (name, value) in vars {
        let lower = name.to_ascii_lowercase();
        let Some(path) = lower.strip_prefix(&prefix) else { continue };
        if is_scenario_var(name) {
            continue;
        }
        match check(path, value, &defaults) {
            Ok(()) => {
                out.insert(name.clone(), value.clone());
            }
            Err(problem) => p.push(name.clone(), problem),
        }
    }
    out
}

/// Whether `section__key` (lowercase) with `value` can apply: a section, one of its keys, a value unless
/// the key is text (where empty means "none", as in a file).
fn check(path: &str, value: &str, defaults: &Value) -> Result<(), String> {
    let (section, key) = path.split_once("__").ok_or("expected LEAKSOAK__SECTION__KEY")?;
    let Some(Value::Object(keys)) = defaults.get(section) else {
        return Err(format!(
            "{section:?} is not a section (one of {SECTIONS}; a scenario's key is \
             LEAKSOAK__SCENARIO__<index>__<KEY>)"
        ));
    };
    let dotted = key.replace("__", ".");
    match keys.get(key.split("__").next().unwrap_or(key)) {
        None => Err(format!("{section}.{dotted}: unknown key")),
        Some(Value::String(_)) => Ok(()),
        Some(_) if value.is_empty() => {
            Err(format!("is set but empty; {section}.{dotted} needs a value (unset the variable to keep the file's)"))
        }
        Some(_) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variable_that_cannot_apply_is_named() {
        let vars: Vec<(String, String)> = [
            ("LEAKSOAK__CYCLE__BATCH_SIZE", "7"),
            ("LEAKSOAK__SERVER__BEARER_TOKEN_FILE", ""),
            ("LEAKSOAK__SCENARIO__0__URL", "http://127.0.0.1:1/v1"),
            ("PATH", "/bin"),
            ("LEAKSOAK__CYCLE__MEASURE_BATCHES", ""),
            ("LEAKSOAK__BOGUS__KEY", "1"),
            ("LEAKSOAK__CYCLE__BOGUS", "1"),
            ("LEAKSOAK__CYCLE", "1"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        let mut p = Problems::default();
        let kept = usable(&vars, &mut p);
        let mut kept: Vec<&str> = kept.keys().map(String::as_str).collect();
        kept.sort_unstable();
        assert_eq!(kept, ["LEAKSOAK__CYCLE__BATCH_SIZE", "LEAKSOAK__SERVER__BEARER_TOKEN_FILE"]);
        let text: Vec<String> = p.finish(()).expect_err("problems").problems.iter().map(ToString::to_string).collect();
        assert_eq!(
            text,
            [
                "LEAKSOAK__CYCLE__MEASURE_BATCHES: is set but empty; cycle.measure_batches needs a value (unset \
                 the variable to keep the file's)",
                "LEAKSOAK__BOGUS__KEY: \"bogus\" is not a section (one of server, cycle, analysis, memory, \
                 fake_llm, telemetry, record; a scenario's key is LEAKSOAK__SCENARIO__<index>__<KEY>)",
                "LEAKSOAK__CYCLE__BOGUS: cycle.bogus: unknown key",
                "LEAKSOAK__CYCLE: expected LEAKSOAK__SECTION__KEY",
            ]
        );
    }
}
