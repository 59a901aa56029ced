//! Units of the reports and messages: memory is measured in bytes and shown in MiB.

/// Bytes per MiB: the pytest suite's "MB" is 2²⁰ bytes.
const MIB: f64 = 1_048_576.0;

/// Bytes in MiB.
pub fn mib(bytes: f64) -> f64 {
    bytes / MIB
}
