//! `scenario.path`: which path through the target a scenario drives, the happy one or a failure path on
//! purpose (docs/failure-paths.md). Each failure path is its own `[[scenario]]`, run in its own turn, so a
//! leak is pinned on the path that has it.

use super::problems::Problems;

/// Every request is meant to be answered: anything else is a failure.
pub const HAPPY: &str = "happy";
/// The paths `scenario.path` accepts, in the order of [`Path`].
pub const PATHS: &[&str] = &[HAPPY, "upstream_failure", "disconnect", "timeout", "rejected"];
/// Stream events read before a disconnect: the role chunk and two pieces of content, a client that went
/// away early in the answer.
pub const DISCONNECT_AFTER_CHUNKS: u64 = 3;
/// The most stream events read before a disconnect; past the end of a stream it reads the whole stream.
pub const MAX_DISCONNECT_AFTER_CHUNKS: u64 = 100_000;
/// No padding: the short prompt, so the target's memory, not the payload, dominates.
pub const PROMPT_BYTES: u64 = 0;
/// The largest prompt: 16 MiB per request is a test of the network, not of a leak.
pub const MAX_PROMPT_BYTES: u64 = 16 * 1024 * 1024;
/// The body of the `oversized` rejection: 2 MiB, over the fake endpoint's 1 MiB limit; set it over the
/// proxy's own limit (LiteLLM: `general_settings.max_request_size_mb`).
pub const OVERSIZED_BODY_BYTES: u64 = 2 * 1024 * 1024;
/// The API key of the `rejected` path's wrong-key requests. The fake endpoint refuses exactly this one
/// with 401, as a proxy refuses a key it does not know.
pub const WRONG_API_KEY: &str = "sk-leaksoak-wrong-key";
/// The smallest `oversized_body_bytes`: a body below a kilobyte is no size limit's business.
pub const MIN_OVERSIZED_BODY_BYTES: u64 = 1024;
/// The largest `oversized_body_bytes`: 64 MiB, held once per scenario and sent every third request.
pub const MAX_OVERSIZED_BODY_BYTES: u64 = 64 * 1024 * 1024;

/// A validated `scenario.path` with the knobs of that path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Path {
    /// Answers expected; every other outcome is a failed request.
    Happy,
    /// A model that fails upstream some of the time, behind the proxy's retries and fallbacks: an error
    /// answer passed on (429 or 5xx) is this path's outcome, not a failure.
    UpstreamFailure,
    /// The client goes away in mid-stream after `after_chunks` events: the deliberate disconnect is this
    /// path's outcome.
    Disconnect {
        /// Stream events read before the connection is dropped.
        after_chunks: usize,
    },
    /// The upstream is slower than the proxy's timeout: the proxy's timeout answer (408 or 504) is this
    /// path's outcome; leaksoak's own `timeout` firing still is a failure.
    Timeout,
    /// Requests the target must refuse, in turn: a malformed body, a wrong API key, a body over the size
    /// limit; their 4xx answers are this path's outcomes.
    Rejected {
        /// Size of the oversized body.
        oversized_body_bytes: usize,
    },
}

impl Path {
    /// The spelling of the path in the configuration and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Path::Happy => PATHS[0],
            Path::UpstreamFailure => PATHS[1],
            Path::Disconnect { .. } => PATHS[2],
            Path::Timeout => PATHS[3],
            Path::Rejected { .. } => PATHS[4],
        }
    }
}

/// The keys of a `[[scenario]]` that say which path it drives, and what it sends.
#[derive(Debug, Clone, Copy)]
pub struct Keys<'a> {
    /// `path` as written.
    pub path: &'a str,
    /// `disconnect_after_chunks` as written.
    pub disconnect_after_chunks: u64,
    /// `oversized_body_bytes` as written.
    pub oversized_body_bytes: u64,
    /// Whether the scenario's requests ask for a stream (`stream`, with a chat or completions `api`).
    pub streams: bool,
    /// Whether the scenario sends `GET`s with no body (`api = "http"`).
    pub bodiless: bool,
}

/// Validates `path` and its knobs for the scenario at `at`.
pub fn validate(raw: Keys<'_>, at: &str, p: &mut Problems) -> Path {
    let key = format!("{at}.path");
    let path = match p.one_of(&key, raw.path, PATHS) {
        Some(1) => Path::UpstreamFailure,
        Some(2) => {
            let n = p.between(
                &format!("{at}.disconnect_after_chunks"),
                raw.disconnect_after_chunks,
                1,
                MAX_DISCONNECT_AFTER_CHUNKS,
            );
            Path::Disconnect { after_chunks: n as usize }
        }
        Some(3) => Path::Timeout,
        Some(4) => Path::Rejected {
            oversized_body_bytes: p.between(
                &format!("{at}.oversized_body_bytes"),
                raw.oversized_body_bytes,
                MIN_OVERSIZED_BODY_BYTES,
                MAX_OVERSIZED_BODY_BYTES,
            ) as usize,
        },
        _ => Path::Happy,
    };
    if matches!(path, Path::Disconnect { .. }) && !raw.streams {
        p.push(
            key.clone(),
            "\"disconnect\" cuts a stream: it needs stream = true and api = \"chat\" or \"completions\"",
        );
    }
    if matches!(path, Path::Rejected { .. }) && raw.bodiless {
        p.push(key, "\"rejected\" sends bodies the target must refuse: it needs an api other than \"http\"");
    }
    path
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The keys of the default scenario (a chat stream) after `edit`.
    fn check(edit: impl FnOnce(&mut Keys<'static>)) -> (Path, Vec<String>) {
        let mut raw = Keys {
            path: HAPPY,
            disconnect_after_chunks: DISCONNECT_AFTER_CHUNKS,
            oversized_body_bytes: OVERSIZED_BODY_BYTES,
            streams: true,
            bodiless: false,
        };
        edit(&mut raw);
        let mut p = Problems::default();
        let path = validate(raw, "scenario[0]", &mut p);
        let problems = p.finish(()).err().map(|e| e.problems).unwrap_or_default();
        (path, problems.iter().map(ToString::to_string).collect())
    }

    #[test]
    fn every_path_parses_with_its_knobs() {
        assert_eq!(check(|_| {}).0, Path::Happy);
        assert_eq!(check(|r| r.path = "upstream_failure").0, Path::UpstreamFailure);
        let disconnect = check(|r| {
            r.path = "disconnect";
            r.disconnect_after_chunks = 5;
        });
        assert_eq!(disconnect, (Path::Disconnect { after_chunks: 5 }, vec![]));
        assert_eq!(check(|r| r.path = "timeout").0, Path::Timeout);
        let rejected = check(|r| r.path = "rejected").0;
        assert_eq!(rejected, Path::Rejected { oversized_body_bytes: OVERSIZED_BODY_BYTES as usize });
        for (i, name) in PATHS.iter().enumerate() {
            let (path, problems) = check(|r| r.path = name);
            assert_eq!((path.as_str(), problems.len()), (PATHS[i], 0), "{name}");
        }
    }

    #[test]
    fn a_path_that_cannot_be_driven_is_refused() {
        let (_, problems) = check(|r| {
            r.path = "disconnect";
            r.streams = false;
        });
        assert!(problems.iter().any(|x| x.contains("scenario[0].path") && x.contains("stream = true")), "{problems:?}");
        let (_, problems) = check(|r| {
            r.path = "rejected";
            r.bodiless = true;
        });
        assert!(problems.iter().any(|x| x.contains("needs an api other than")), "{problems:?}");
        let (_, problems) = check(|r| r.path = "sideways");
        assert!(problems.iter().any(|x| x.contains("scenario[0].path")), "{problems:?}");
        let (_, problems) = check(|r| {
            r.path = "disconnect";
            r.disconnect_after_chunks = 0;
        });
        assert!(problems.iter().any(|x| x.contains("disconnect_after_chunks")), "{problems:?}");
    }
}
