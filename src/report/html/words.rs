//! How the report names things, wherever on the page they appear: a verdict, a section's anchor, a p-value.

use crate::analyze::Verdict;

/// The verdict in words, with a sign that is not a colour: the banner never relies on colour alone.
pub fn verdict_words(v: Verdict) -> (&'static str, &'static str) {
    match v {
        Verdict::Stable => ("✔", "STABLE"),
        Verdict::Leak => ("✖", "LEAK"),
        Verdict::Noisy => ("≈", "NOISY"),
        Verdict::Insufficient => ("?", "INSUFFICIENT"),
        Verdict::Error => ("!", "ERROR"),
    }
}

/// The CSS-safe id of a scenario's section.
pub fn anchor(name: &str) -> String {
    let safe: String = name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' }).collect();
    format!("scenario-{safe}")
}

/// A p-value as read at a glance: four decimals, and "p < 0.0001" rather than a p of zero.
pub fn p_value(p: f64) -> String {
    if p < 0.0001 { "p < 0.0001".to_owned() } else { format!("p = {p:.4}") }
}
