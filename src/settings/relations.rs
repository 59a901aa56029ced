//! Relations between keys of different sections: settings each valid alone that together could not run, or
//! would silently switch a rule off. Each problem names the key to change and the key it clashes with.

use super::RawSettings;
use super::analysis::{MAX_ERROR_SPIKE_MIN_STABLE_BATCHES, MAX_ROLLING_WINDOW, MAX_TAIL_SAMPLES};
use super::cycle::MAX_MEASURE_BATCHES;
use super::problems::Problems;
use std::net::SocketAddr;

/// Checks every relation; values out of their own bounds are left to their section's problem.
pub fn check(raw: &RawSettings, p: &mut Problems) {
    let measure = raw.cycle.measure_batches;
    if measure <= MAX_MEASURE_BATCHES {
        analysis_fits_the_cycle(raw, measure, p);
    }
    if raw.fake_llm.enabled {
        listeners_apart(&raw.server.listen, &raw.fake_llm.listen, p);
    }
}

fn analysis_fits_the_cycle(raw: &RawSettings, measure: u64, p: &mut Problems) {
    let a = &raw.analysis;
    let window = a.rolling_window.max(1);
    if window <= MAX_ROLLING_WINDOW && measure < 2 * window {
        p.push(
            "cycle.measure_batches",
            format!(
                "must be at least 2 × analysis.rolling_window ({}) or no cycle can be judged, got {measure}",
                2 * window
            ),
        );
    }
    if (2..=MAX_TAIL_SAMPLES).contains(&a.tail_samples) && a.tail_samples > measure {
        p.push(
            "analysis.tail_samples",
            format!(
                "must be at most cycle.measure_batches ({measure}), or the tail rule could never fire, got {}",
                a.tail_samples
            ),
        );
    }
    let stable = a.error_spike_min_stable_batches;
    if (1..=MAX_ERROR_SPIKE_MIN_STABLE_BATCHES).contains(&stable) && stable + 2 > measure {
        p.push(
            "analysis.error_spike_min_stable_batches",
            format!(
                "must be at most cycle.measure_batches - 2 ({}): a spike needs a batch before it and this many \
                 after it in the cycle, or the error-spike rule could never be confirmed, got {stable}",
                measure.saturating_sub(2)
            ),
        );
    }
}

/// `run` binds both when the fake endpoint is enabled; the same port on overlapping addresses cannot be.
fn listeners_apart(server: &str, fake: &str, p: &mut Problems) {
    let (Ok(server), Ok(fake)) = (server.parse::<SocketAddr>(), fake.parse::<SocketAddr>()) else {
        return; // each is reported by its section
    };
    if server.port() != 0 && server.port() == fake.port() && overlap(server, fake) {
        p.push(
            "fake_llm.listen",
            format!(
                "{fake} overlaps server.listen ({server}): both would listen on port {}; change one of them \
                 (port 0 picks a free one)",
                fake.port()
            ),
        );
    }
}

/// Whether two addresses on one port would clash: the same address, or an unspecified one (`0.0.0.0`
/// covers every IPv4 address, `::` every address, IPv4 included, as Linux binds it dual-stack).
fn overlap(a: SocketAddr, b: SocketAddr) -> bool {
    let covers = |x: SocketAddr, y: SocketAddr| x.ip().is_unspecified() && (x.is_ipv6() || y.is_ipv4());
    a.ip() == b.ip() || covers(a, b) || covers(b, a)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlapping_addresses() {
        let addr = |s: &str| s.parse::<SocketAddr>().expect("address");
        for (a, b, clash) in [
            ("127.0.0.1:1", "127.0.0.1:1", true),
            ("0.0.0.0:1", "127.0.0.1:1", true),
            ("[::]:1", "127.0.0.1:1", true),
            ("[::]:1", "[::1]:1", true),
            ("0.0.0.0:1", "[::1]:1", false),
            ("127.0.0.1:1", "127.0.0.2:1", false),
        ] {
            assert_eq!(overlap(addr(a), addr(b)), clash, "{a} {b}");
            assert_eq!(overlap(addr(b), addr(a)), clash, "{b} {a}");
        }
    }
}
