//! Tests of the analysis as a whole, on synthetic series built by [`fixtures`]: the pytest suite's own
//! examples, the leak gauge and the trend rule over many cycles, and property tests of one cycle.

pub mod fixtures;
mod gauge;
mod properties;
mod pytest_examples;
