//! `LEAKSOAK__SCENARIO__<index>__<KEY>`: one key of one scenario, set from the environment (a target URL
//! from a Kubernetes Secret, say). The `config` crate's environment source cannot address list entries, so
//! these variables are kept away from it and applied here, to the effective scenario list (the file's, or
//! the default one), after the file is read.
//!
//! A value takes the type of the key it replaces: `true`/`false` for flags, a number for counts, a
//! comma-separated list for `urls`, text for the rest. `headers` cannot be set this way.

use super::problems::Problems;
use super::scenario::RawScenario;
use serde_json::Value;

/// The prefix of a scenario variable; the index and the key follow, separated by `__`.
pub const PREFIX: &str = "LEAKSOAK__SCENARIO__";

/// Whether an environment variable is a scenario variable (and not for the `config` crate).
pub fn is_scenario_var(name: &str) -> bool {
    name.starts_with(PREFIX)
}

/// Applies every scenario variable, in name order; each problem names the variable.
pub fn apply(vars: &[(String, String)], scenarios: &mut [RawScenario], p: &mut Problems) {
    let mut vars: Vec<&(String, String)> = vars.iter().filter(|(name, _)| is_scenario_var(name)).collect();
    vars.sort();
    for (name, value) in vars {
        if let Err(problem) = apply_one(name, value, scenarios) {
            p.push(name.clone(), problem);
        }
    }
}

fn apply_one(name: &str, value: &str, scenarios: &mut [RawScenario]) -> Result<(), String> {
    let rest = &name[PREFIX.len()..];
    let (index, key) = rest
        .split_once("__")
        .and_then(|(i, k)| Some((i.parse::<usize>().ok()?, k.to_ascii_lowercase())))
        .ok_or_else(|| format!("expected {PREFIX}<index>__<KEY>"))?;
    let count = scenarios.len();
    let scenario = scenarios.get_mut(index).ok_or_else(|| format!("there is no scenario[{index}] ({count} in all)"))?;
    let mut tree = serde_json::to_value(&*scenario).map_err(|e| e.to_string())?;
    let slot = tree.get_mut(&key).ok_or_else(|| format!("scenario[{index}].{key}: unknown key"))?;
    if slot.is_object() {
        return Err(format!("scenario[{index}].{key} is a table and cannot be set from the environment"));
    }
    *slot = typed_like(slot, value);
    *scenario = serde_json::from_value(tree).map_err(|e| format!("scenario[{index}].{key}: {e}"))?;
    Ok(())
}

/// `text` as a value of the same kind as `like`; left as text when it does not parse, so that the type
/// error names the key.
fn typed_like(like: &Value, text: &str) -> Value {
    let text = text.trim();
    match like {
        Value::Bool(_) => text.parse().map_or_else(|_| text.into(), Value::Bool),
        Value::Number(_) => text.parse::<u64>().map_or_else(|_| text.into(), Value::from),
        Value::Array(_) => text.split(',').map(str::trim).filter(|s| !s.is_empty()).collect(),
        _ => text.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn sets_keys_of_the_effective_list_with_their_types() {
        let mut list = RawScenario::pytest_variants();
        let mut p = Problems::default();
        let set = vars(&[
            ("LEAKSOAK__SCENARIO__1__STREAM", "false"),
            ("LEAKSOAK__SCENARIO__0__CONCURRENCY", "3"),
            ("LEAKSOAK__SCENARIO__0__URLS", "http://127.0.0.1:1/v1, http://127.0.0.1:2/v1"),
            ("LEAKSOAK__SCENARIO__3__TIMEOUT", "5s"),
            ("LEAKSOAK__CYCLE__BATCH_SIZE", "7"),
        ]);
        apply(&set, &mut list, &mut p);
        assert_eq!(p.finish(()), Ok(()));
        assert_eq!((list[0].concurrency, list[1].stream), (3, false));
        assert_eq!(list[0].urls, ["http://127.0.0.1:1/v1", "http://127.0.0.1:2/v1"]);
        assert_eq!(list[3].timeout, crate::settings::HumaneDuration::from_secs(5));
    }

    #[test]
    fn every_problem_names_its_variable() {
        let mut list = RawScenario::pytest_variants();
        let mut p = Problems::default();
        let set = vars(&[
            ("LEAKSOAK__SCENARIO__9__URL", "http://127.0.0.1:1/v1"),
            ("LEAKSOAK__SCENARIO__0__STREEM", "true"),
            ("LEAKSOAK__SCENARIO__0__CONCURRENCY", "many"),
            ("LEAKSOAK__SCENARIO__0__HEADERS", "x"),
            ("LEAKSOAK__SCENARIO__URL", "x"),
        ]);
        apply(&set, &mut list, &mut p);
        let problems = p.finish(()).expect_err("problems").problems;
        let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
        let expected = [
            "LEAKSOAK__SCENARIO__0__CONCURRENCY: scenario[0].concurrency: invalid type: string \"many\"",
            "LEAKSOAK__SCENARIO__0__HEADERS: scenario[0].headers is a table",
            "LEAKSOAK__SCENARIO__0__STREEM: scenario[0].streem: unknown key",
            "LEAKSOAK__SCENARIO__9__URL: there is no scenario[9] (4 in all)",
            "LEAKSOAK__SCENARIO__URL: expected LEAKSOAK__SCENARIO__<index>__<KEY>",
        ];
        assert_eq!(text.len(), expected.len(), "{text:#?}");
        for (line, start) in text.iter().zip(expected) {
            assert!(line.starts_with(start), "{line:?} should start with {start:?}");
        }
    }
}
