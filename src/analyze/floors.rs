//! The floors the trend rule's windows share (the short one in [`super::trend`], the long one in
//! [`super::long_trend`]): how far above the noise a rise must be, and what keeps a raised gauge up.

/// The fitted growth across the window must exceed this many times the median per-cycle noise (residual
/// stdev of the raw samples, bytes). A final average is a mean of overlapping rolling averages, its own
/// noise ≈ 0.42 × that of a sample; six of them in chance rising order span ≈ 1 sample stdev, rarely 2.
/// Measured over 10⁶ clean cycles at σ = 2 % of 50 MiB: 5.9 chance trends per 10,000 cycles at 0, 0.26
/// at 2, none at 3. Higher: fewer false trends at high noise, but a slow leak under high noise takes
/// more cycles. At 3, 256 B/request (≈ 1.6 MiB over six default cycles) is unaffected while the noise
/// stays under ≈ 0.5 MiB (1 % of a 50 MiB process).
pub const NOISE_FLOOR_FACTOR: f64 = 3.0;

/// [`crate::analyze::Trend::rising`]'s significance: loose, since it only keeps up a raise that was confirmed already.
pub const HOLD_ALPHA: f64 = 0.1;

/// [`crate::analyze::Trend::rising`] needs a rise of at least this (or the cycles' noise, if larger): 16 pages, so that
/// flat memory read to the page does not count as rising. A 256 B/request leak adds 0.25 MiB to every
/// 1,000 requests.
pub const HOLD_MIN_RISE_BYTES: f64 = 65_536.0;
