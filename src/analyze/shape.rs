//! The shape of a rise across cycles (docs/analysis.md#plateaus-and-steps): what tells a leak, which keeps
//! rising at its rate, from memory that grows to a working size, in steps, or comes back.
//!
//! The trend rule asks these three questions of its window of final averages once the window has risen
//! significantly; any "yes" dismisses the rise, with the words of [`Bounded::explain`]:
//! * **Fell back**: the last cycle is clearly below the window's peak. A leak never gives memory back.
//! * **Slowing**: the later half of the window rose less than [`SLOWING_RATIO`] of the earlier half:
//!   growth that is approaching a working size (a warm-up seen across cycles, a step then a plateau).
//! * **Steps**: the typical rise between two cycles (the median of the consecutive differences) would not
//!   reach the growth floor, or fewer than [`STEADY_SHARE`] of the rises between cycles reach half of
//!   it: the rise is carried by a few steps between otherwise flat cycles (an allocator arena, a buffer
//!   doubling, a cache filling in chunks), where a leak adds memory in every cycle's requests.

use super::stats;
use super::units::mib;

/// A rise counts as slowing down when the later half of the window rose by less than this share of the
/// earlier half. A steady leak rises by about as much in both halves; at this ratio noise rarely makes
/// it look like slowing (its halves differ by less than 4×) while a warm-up that is nearly done
/// (16 MiB, then 0.2 MiB) is dismissed. Higher: warm-ups are dismissed sooner, but a leak whose rate
/// wobbles is caught later.
pub const SLOWING_RATIO: f64 = 0.25;

/// At least this share of the rises between consecutive cycles must reach half the typical rise for the
/// growth to count as steady (4 of 5 in the default window of 6). A leak adds memory with every
/// request, so every cycle rises; at 256 B/request under page-rounded noise 96 % of windows pass. A
/// healthy LiteLLM proxy creeping in 0.2–1 MiB arena steps with flat cycles between passes only 3 of 5.
/// Higher: bursts are dismissed more surely, but more of the leaks whose RSS moves in arena-sized steps
/// with flat cycles between (a slow leak in a Python process) look like steps: the trend rule does not
/// raise them while they do (docs/analysis.md#plateaus-and-steps says what to tune).
pub const STEADY_SHARE: f64 = 0.8;

/// Why a significant rise is not a leak.
#[derive(Debug, Clone, PartialEq)]
pub enum Bounded {
    /// The last final average is clearly (3 × noise, a typical rise, and the floor's share of one cycle)
    /// below the window's peak.
    FellBack { peak: f64, last: f64 },
    /// The typical rise between cycles (`typical`, bytes) is too small, or too few of the rises between
    /// cycles (`rising`) reach half of it: `steps` (index of the rise in the window, bytes; the three
    /// largest) carry the growth.
    Steps { steps: Vec<(usize, f64)>, typical: f64, rising: usize },
    /// The later half rose much less than the earlier half.
    Slowing { early: f64, late: f64 },
}

/// Asks the three questions of a window of final averages (oldest first) that rose significantly.
/// `floor` is the growth the trend rule requires, `noise` the typical per-cycle noise (bytes).
pub fn judge(y: &[f64], floor: f64, noise: f64) -> Option<Bounded> {
    let k = y.len();
    if k < 3 {
        return None;
    }
    let diffs: Vec<f64> = y.windows(2).map(|w| w[1] - w[0]).collect();
    let typical = stats::median(&diffs);
    let (peak, last) = (y.iter().copied().fold(f64::MIN, f64::max), y[k - 1]);
    let per_cycle_floor = floor / (k - 1) as f64;
    if peak - last > (3.0 * noise).max(typical).max(per_cycle_floor) {
        return Some(Bounded::FellBack { peak, last });
    }
    let half = (k - 1) / 2;
    let (early, late) = (y[half] - y[0], y[k - 1] - y[k - 1 - half]);
    if early > 0.0 && late < SLOWING_RATIO * early {
        return Some(Bounded::Slowing { early, late });
    }
    let rising = diffs.iter().filter(|d| **d > typical / 2.0).count();
    if typical * (k - 1) as f64 <= floor || (rising as f64) < STEADY_SHARE * (k - 1) as f64 {
        let mut steps: Vec<(usize, f64)> =
            diffs.iter().copied().enumerate().filter(|(_, d)| *d > per_cycle_floor.max(typical)).collect();
        steps.sort_by(|a, b| b.1.total_cmp(&a.1));
        steps.truncate(3);
        return Some(Bounded::Steps { steps, typical, rising });
    }
    None
}

impl Bounded {
    /// One sentence for the report: what the window did and why that is not a leak. `y` is the window.
    pub fn explain(&self, y: &[f64]) -> String {
        let k = y.len();
        let levels: Vec<String> = y.iter().map(|v| format!("{:.1}", mib(*v))).collect();
        let rise = y[k - 1] - y[0];
        let head = format!("Final averages of the last {k} cycles: {} MiB", levels.join(", "));
        match self {
            Self::FellBack { peak, last } => format!(
                "{head}. Memory fell back {:.2} MiB from its peak ({:.1} MiB): growth that comes back is not a leak.",
                mib(peak - last),
                mib(*peak)
            ),
            Self::Steps { steps, typical, rising } => {
                let carried: Vec<String> = steps
                    .iter()
                    .map(|(i, d)| format!("{:.2} MiB between cycles {} and {} of the window", mib(*d), i + 1, i + 2))
                    .collect();
                format!(
                    "{head}. The {:.2} MiB rise is carried by {} step(s) ({}); a typical cycle rose {:.2} MiB \
                     and {rising} of {} rose by half that: growth in steps toward a plateau, not a leak.",
                    mib(rise),
                    steps.len(),
                    carried.join("; "),
                    mib(*typical),
                    k - 1
                )
            }
            Self::Slowing { early, late } => format!(
                "{head}. Memory rose {:.2} MiB in the earlier half of the window but only {:.2} MiB in the later \
                 half: growth slowing toward a working size, not a leak.",
                mib(*early),
                mib(*late)
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: f64 = 1_048_576.0;
    const FLOOR: f64 = MIB;
    const NOISE: f64 = 64.0 * 1024.0;

    fn mibs(v: &[f64]) -> Vec<f64> {
        v.iter().map(|m| m * MIB).collect()
    }

    #[test]
    fn a_steady_leak_is_not_bounded() {
        assert_eq!(judge(&mibs(&[400.0, 400.3, 400.6, 400.9, 401.2, 401.5]), FLOOR, NOISE), None);
        assert_eq!(judge(&mibs(&[400.0, 400.4, 400.6, 401.0, 401.2, 401.5]), FLOOR, NOISE), None, "uneven rises");
    }

    #[test]
    fn a_creep_in_bursts_with_flat_cycles_between_is_steps() {
        // A healthy LiteLLM proxy, cycles 23 to 28 of its recording.
        let creep = judge(&mibs(&[412.15, 412.39, 412.43, 412.45, 412.86, 413.83]), FLOOR, NOISE);
        assert!(matches!(creep, Some(Bounded::Steps { rising: 3, .. })), "{creep:?}");
    }

    #[test]
    fn one_or_two_steps_between_flat_cycles_are_a_plateau() {
        let one = judge(&mibs(&[403.6, 403.7, 403.8, 411.2, 411.3, 411.3]), FLOOR, NOISE);
        assert!(matches!(&one, Some(Bounded::Steps { steps, .. }) if steps.len() == 1 && steps[0].0 == 2), "{one:?}");
        let two = judge(&mibs(&[400.0, 400.0, 401.0, 401.0, 402.0, 402.0]), FLOOR, NOISE);
        assert!(matches!(&two, Some(Bounded::Steps { steps, .. }) if steps.len() == 2), "{two:?}");
    }

    #[test]
    fn memory_that_comes_back_is_not_a_leak() {
        let sawtooth = judge(&mibs(&[400.0, 401.0, 402.0, 403.0, 404.0, 401.0]), FLOOR, NOISE);
        assert!(matches!(sawtooth, Some(Bounded::FellBack { .. })), "{sawtooth:?}");
    }

    #[test]
    fn a_warm_up_across_cycles_slows_down() {
        let warm = judge(&mibs(&[387.0, 395.0, 403.0, 403.5, 403.6, 403.7]), FLOOR, NOISE);
        assert!(matches!(warm, Some(Bounded::Slowing { .. })), "{warm:?}");
        let curve = judge(&mibs(&[380.0, 390.0, 395.0, 397.5, 398.75, 399.4]), FLOOR, NOISE);
        assert!(matches!(curve, Some(Bounded::Slowing { .. })), "{curve:?}");
    }

    #[test]
    fn the_explanation_names_the_step_and_the_levels() {
        let y = mibs(&[403.6, 403.7, 403.8, 411.2, 411.3, 411.3]);
        let text = judge(&y, FLOOR, NOISE).expect("steps").explain(&y);
        assert!(text.contains("403.6, 403.7, 403.8, 411.2"), "{text}");
        assert!(text.contains("7.40 MiB between cycles 3 and 4"), "{text}");
        assert!(text.contains("plateau"), "{text}");
    }
}
