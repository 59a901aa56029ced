//! `name{label="value",...}`: how `memory.metric` and `memory.resource_metrics` name a series on a
//! Prometheus text page.

/// A Prometheus metric name with optional exact label matchers: `name{label="v",other="w"}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricSelector {
    pub name: String,
    pub labels: Vec<(String, String)>,
}

impl MetricSelector {
    /// Parses `name` or `name{label="value",...}`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let (name, rest) = match text.find('{') {
            Some(i) => (&text[..i], Some(&text[i..])),
            None => (text, None),
        };
        let valid_name = !name.is_empty()
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
            && !name.starts_with(|c: char| c.is_ascii_digit());
        if !valid_name {
            return Err(format!("not a metric name: {text:?}"));
        }
        let labels = match rest {
            None => vec![],
            Some(body) => parse_matchers(body).map_err(|e| format!("{e} in {text:?}"))?,
        };
        Ok(Self { name: name.to_owned(), labels })
    }
}

/// Parses `{k="v", ...}`. Values are double-quoted with `\\`, `\"` and `\n` escapes, as in the text format
/// they are matched against, so a value may hold commas, braces and quotes.
fn parse_matchers(body: &str) -> Result<Vec<(String, String)>, String> {
    let inner = body.strip_prefix('{').and_then(|b| b.strip_suffix('}')).ok_or("unclosed '{'")?;
    let mut out = vec![];
    let mut rest = inner.trim_start();
    while !rest.is_empty() {
        let (key, after) = rest.split_once('=').ok_or_else(|| format!("matcher {rest:?} lacks '='"))?;
        let key = key.trim();
        if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(format!("{key:?} is not a label name (only `label=\"value\"` matchers are supported)"));
        }
        let after = after.trim_start().strip_prefix('"').ok_or_else(|| format!("value of {key:?} must be quoted"))?;
        let (value, after) = quoted(after).ok_or_else(|| format!("value of {key:?} is not closed"))?;
        out.push((key.to_owned(), value));
        let after = after.trim_start();
        rest = match after.strip_prefix(',') {
            Some(next) => next.trim_start(),
            None if after.is_empty() => after,
            None => return Err(format!("',' expected after the value of {key:?}")),
        };
    }
    Ok(out)
}

/// A quoted string's value (its opening quote already consumed) and what follows its closing quote.
fn quoted(text: &str) -> Option<(String, &str)> {
    let mut value = String::new();
    let mut chars = text.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((value, &text[i + 1..])),
            '\\' => match chars.next()?.1 {
                'n' => value.push('\n'),
                other => value.push(other),
            },
            c => value.push(c),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metric_selectors() {
        let m = MetricSelector::parse("process_resident_memory_bytes").expect("plain name");
        assert!(m.labels.is_empty());
        let m = MetricSelector::parse(r#"mem{job="proxy", pod="a-1"}"#).expect("matchers");
        assert_eq!(m.labels, vec![("job".into(), "proxy".into()), ("pod".into(), "a-1".into())]);
        assert!(MetricSelector::parse("1bad").is_err());
        assert!(MetricSelector::parse("m{job=proxy}").is_err());
        assert!(MetricSelector::parse("m{job=\"x\"").is_err());
        let m = MetricSelector::parse(r#"m{path="/a,b}", say = "\"hi\"\\n\n", }"#).expect("escapes");
        assert_eq!(m.labels, vec![("path".into(), "/a,b}".into()), ("say".into(), "\"hi\"\\n\n".into())]);
        for bad in [r#"m{job!="x"}"#, r#"m{job="x" pod="y"}"#, r#"m{job="x\"}"#, r#"m{="x"}"#] {
            assert!(MetricSelector::parse(bad).is_err(), "{bad}");
        }
    }
}
