use super::layers::from_toml;
use super::*;

#[test]
fn embedded_default_is_valid() {
    let s = Settings::embedded_default();
    assert_eq!(s.scenarios.len(), 4);
    assert_eq!(s.cycle.measure_batches, 10);
}
