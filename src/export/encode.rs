//! The text exposition format (0.0.4) of gathered metric families: byte for byte what the `prometheus`
//! crate's `TextEncoder` writes, at about a third of the cost. That encoder formats every value and bucket
//! bound into a fresh `String` and writes through a trait object; this one writes straight into one
//! buffer and prints whole numbers (most samples are counts) as integers.

use prometheus::proto::{LabelPair, Metric, MetricFamily, MetricType};
use std::io::Write as _;

/// Appends the exposition of `families` to `out`. Families without samples, and untyped ones (which
/// nothing here registers), are left out.
pub fn encode(families: &[MetricFamily], out: &mut Vec<u8>) {
    let written = |f: &&MetricFamily| !f.get_metric().is_empty() && f.get_field_type() != MetricType::UNTYPED;
    for family in families.iter().filter(written) {
        let name = family.name();
        if !family.help().is_empty() {
            out.extend_from_slice(b"# HELP ");
            out.extend_from_slice(name.as_bytes());
            out.push(b' ');
            escaped(family.help(), false, out);
            out.push(b'\n');
        }
        let kind = family.get_field_type();
        out.extend_from_slice(b"# TYPE ");
        out.extend_from_slice(name.as_bytes());
        out.push(b' ');
        out.extend_from_slice(type_name(kind).as_bytes());
        out.push(b'\n');
        for metric in family.get_metric() {
            samples(name, kind, metric, out);
        }
    }
}

fn type_name(kind: MetricType) -> &'static str {
    match kind {
        MetricType::COUNTER => "counter",
        MetricType::GAUGE => "gauge",
        MetricType::SUMMARY => "summary",
        MetricType::UNTYPED => "untyped",
        MetricType::HISTOGRAM => "histogram",
    }
}

/// The sample lines of one metric.
fn samples(name: &str, kind: MetricType, m: &Metric, out: &mut Vec<u8>) {
    let line = |suffix: &str, extra: Option<(&str, f64)>, value: f64, out: &mut Vec<u8>| {
        sample(Line { name, suffix, labels: m.get_label(), extra, value, timestamp_ms: m.timestamp_ms() }, out);
    };
    match kind {
        MetricType::COUNTER => line("", None, m.get_counter().get_value(), out),
        MetricType::GAUGE => line("", None, m.get_gauge().get_value(), out),
        MetricType::HISTOGRAM => {
            let h = m.get_histogram();
            let mut inf_seen = false;
            for b in h.get_bucket() {
                let bound = b.upper_bound();
                line("_bucket", Some(("le", bound)), b.cumulative_count() as f64, out);
                inf_seen |= bound.is_infinite() && bound.is_sign_positive();
            }
            if !inf_seen {
                line("_bucket", Some(("le", f64::INFINITY)), h.get_sample_count() as f64, out);
            }
            line("_sum", None, h.get_sample_sum(), out);
            line("_count", None, h.get_sample_count() as f64, out);
        }
        // Never registered here; the crate's encoder panics on it.
        MetricType::UNTYPED => {}
        MetricType::SUMMARY => {
            let s = m.get_summary();
            for q in s.get_quantile() {
                line("", Some(("quantile", q.quantile())), q.value(), out);
            }
            line("_sum", None, s.sample_sum(), out);
            line("_count", None, s.sample_count() as f64, out);
        }
    }
}

/// One sample line: `name_suffix{labels,extra="…"} value [timestamp]`.
struct Line<'a> {
    name: &'a str,
    /// `_bucket`, `_sum`, `_count` or empty.
    suffix: &'a str,
    labels: &'a [LabelPair],
    /// `le` of a bucket (`+Inf` when infinite) or `quantile` of a summary.
    extra: Option<(&'a str, f64)>,
    value: f64,
    /// Written when not 0, as the crate's encoder does.
    timestamp_ms: i64,
}

fn sample(l: Line<'_>, out: &mut Vec<u8>) {
    out.extend_from_slice(l.name.as_bytes());
    out.extend_from_slice(l.suffix.as_bytes());
    if !l.labels.is_empty() || l.extra.is_some() {
        let mut separator = b'{';
        for pair in l.labels {
            out.push(separator);
            out.extend_from_slice(pair.name().as_bytes());
            out.extend_from_slice(b"=\"");
            escaped(pair.value(), true, out);
            out.push(b'"');
            separator = b',';
        }
        if let Some((label, bound)) = l.extra {
            out.push(separator);
            out.extend_from_slice(label.as_bytes());
            out.extend_from_slice(b"=\"");
            if bound == f64::INFINITY && label == "le" {
                out.extend_from_slice(b"+Inf");
            } else {
                number(bound, out);
            }
            out.push(b'"');
        }
        out.push(b'}');
    }
    out.push(b' ');
    number(l.value, out);
    if l.timestamp_ms != 0 {
        out.push(b' ');
        out.extend_from_slice(itoa::Buffer::new().format(l.timestamp_ms).as_bytes());
    }
    out.push(b'\n');
}

/// A value as `f64`'s `Display` writes it; whole numbers (exactly representable) take the faster integer
/// path, which prints the same digits.
fn number(v: f64, out: &mut Vec<u8>) {
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
    if v.fract() == 0.0 && v.abs() < EXACT && !(v == 0.0 && v.is_sign_negative()) {
        out.extend_from_slice(itoa::Buffer::new().format(v as i64).as_bytes());
    } else {
        let _ = write!(out, "{v}");
    }
}

/// `text` with `\`, newline and (in label values) `"` escaped.
fn escaped(text: &str, quotes: bool, out: &mut Vec<u8>) {
    let special = |b: u8| b == b'\\' || b == b'\n' || (quotes && b == b'"');
    if !text.bytes().any(special) {
        out.extend_from_slice(text.as_bytes());
        return;
    }
    for b in text.bytes() {
        match b {
            b'\n' => out.extend_from_slice(b"\\n"),
            b if special(b) => out.extend_from_slice(&[b'\\', b]),
            b => out.push(b),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use prometheus::core::Collector;
    use prometheus::proto::{Quantile, Summary};
    use prometheus::{Encoder, HistogramOpts, HistogramVec, Opts, Registry, TextEncoder};

    fn awkward_registry() -> Registry {
        let r = Registry::new();
        let help = "Help with a \\ backslash,\na newline and \"quotes\"";
        let g = prometheus::GaugeVec::new(Opts::new("g", help), &["who"]).expect("gauge");
        for (who, v) in
            [("a\"b\\c\nd", 0.1), ("neg", -0.0), ("big", 1e21), ("nan", f64::NAN), ("inf", f64::NEG_INFINITY)]
        {
            g.with_label_values(&[who]).set(v);
        }
        g.with_label_values(&["whole"]).set(4_294_967_296.0);
        g.with_label_values(&["tiny"]).set(1.5e-7);
        r.register(Box::new(g)).expect("register");
        let c = prometheus::Counter::with_opts(Opts::new("c_total", "c")).expect("counter");
        c.inc_by(3.25);
        r.register(Box::new(c)).expect("register");
        let h = HistogramVec::new(HistogramOpts::new("h_seconds", "h").buckets(vec![0.005, 0.1, 2.5]), &["s"])
            .expect("histogram");
        for v in [0.001, 0.05, 0.3, 7.0] {
            h.with_label_values(&["x"]).observe(v);
        }
        r.register(Box::new(h)).expect("register");
        r
    }

    fn summary_family() -> MetricFamily {
        let mut s = Summary::default();
        let mut q = Quantile::default();
        q.set_quantile(0.99);
        q.set_value(12.5);
        s.set_quantile(vec![q]);
        s.set_sample_sum(100.25);
        s.set_sample_count(8);
        let mut m = Metric::default();
        m.set_summary(s);
        m.set_timestamp_ms(1_700_000_000_000);
        let mut f = MetricFamily::default();
        f.set_name("s".into());
        f.set_field_type(MetricType::SUMMARY);
        f.mut_metric().push(m);
        f
    }

    #[test]
    fn writes_exactly_what_the_crate_encoder_writes() {
        let mut families = awkward_registry().gather();
        families.push(summary_family());
        families.extend(super::super::process::ProcessCollector::new().collect());
        let mut theirs = Vec::new();
        TextEncoder::new().encode(&families, &mut theirs).expect("encode");
        let mut ours = Vec::new();
        encode(&families, &mut ours);
        assert_eq!(String::from_utf8_lossy(&ours), String::from_utf8_lossy(&theirs));
        assert!(theirs.windows(6).any(|w| w == b"+Inf\"}"), "the +Inf bucket is there");
    }
}
