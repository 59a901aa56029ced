//! Outputs: what leaves leaksoak. The JUnit XML and recorded-samples JSON of `once`.

pub mod junit;
pub mod recorded;
