//! Which build runs: the version (`Cargo.toml`) and the git revision it was built from (`build.rs`:
//! `LEAKSOAK_REVISION` when set, else `git rev-parse --short HEAD`, else `unknown`). Shown by
//! `leaksoak --version`, the `leaksoak_build_info` metric and `/status`.

/// The package version.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The git revision the binary was built from, `unknown` when it could not be told.
pub const REVISION: &str = env!("LEAKSOAK_REVISION");

/// What `leaksoak --version` prints after the name: `0.1.0 (revision a33a7e6)`.
pub const VERSION_LINE: &str = concat!(env!("CARGO_PKG_VERSION"), " (revision ", env!("LEAKSOAK_REVISION"), ")");
