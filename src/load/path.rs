//! Whether a request ended the way its scenario's path drives it to (docs/failure-paths.md): an answer,
//! the path's own failure (an [`Expected`] outcome, not counted as a failed request), or a failure.

use super::outcome::Expected;
use crate::failure::ErrorKind;
use crate::settings::Path;
use http::StatusCode;

/// How a request ended, as the transport and the body reader saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ended {
    /// The response status; `None` when no response came.
    pub status: Option<StatusCode>,
    /// The result before the path is considered.
    pub result: Result<(), ErrorKind>,
    /// The client stopped reading the stream on purpose (the `disconnect` path).
    pub disconnected: bool,
}

/// The request's result and, when it ended as `path` expects it to fail, that outcome. `rejection` is the
/// outcome a refusal of this request counts as (the `rejected` path's requests).
pub fn judge(path: Path, rejection: Option<Expected>, ended: Ended) -> (Result<(), ErrorKind>, Option<Expected>) {
    if ended.disconnected {
        return (Ok(()), Some(Expected::Disconnected));
    }
    let Some(status) = ended.status.filter(|_| ended.result == Err(ErrorKind::Status)) else {
        return (ended.result, None);
    };
    let code = status.as_u16();
    let expected = match path {
        Path::Happy | Path::Disconnect { .. } => None,
        Path::UpstreamFailure => (code == 429 || status.is_server_error()).then_some(Expected::UpstreamError),
        Path::Timeout => matches!(code, 408 | 504).then_some(Expected::TimedOut),
        Path::Rejected { .. } => rejection.filter(|_| status.is_client_error() && !matches!(code, 408 | 429)),
    };
    match expected {
        Some(e) => (Ok(()), Some(e)),
        // No path expects a redirect: the scenario's URL is not the address that answers.
        None if status.is_redirection() => (Err(ErrorKind::Redirect), None),
        None => (ended.result, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(code: u16) -> Ended {
        Ended { status: StatusCode::from_u16(code).ok(), result: Err(ErrorKind::Status), disconnected: false }
    }

    const REJECTED: Path = Path::Rejected { oversized_body_bytes: 4096 };

    #[test]
    fn each_path_expects_its_own_failures_and_nothing_else() {
        let cases: &[(Path, u16, Option<Expected>)] = &[
            (Path::Happy, 500, None),
            (Path::Happy, 401, None),
            (Path::UpstreamFailure, 500, Some(Expected::UpstreamError)),
            (Path::UpstreamFailure, 429, Some(Expected::UpstreamError)),
            (Path::UpstreamFailure, 503, Some(Expected::UpstreamError)),
            (Path::UpstreamFailure, 400, None),
            (Path::Timeout, 408, Some(Expected::TimedOut)),
            (Path::Timeout, 504, Some(Expected::TimedOut)),
            (Path::Timeout, 500, None),
            (REJECTED, 400, Some(Expected::RejectedKey)),
            (REJECTED, 413, Some(Expected::RejectedKey)),
            (REJECTED, 429, None),
            (REJECTED, 500, None),
        ];
        for path in [Path::Happy, Path::UpstreamFailure, Path::Timeout, REJECTED] {
            for code in [301, 302, 307, 308] {
                assert_eq!(judge(path, Some(Expected::RejectedKey), status(code)), (Err(ErrorKind::Redirect), None));
            }
        }
        for (path, code, expected) in cases {
            let (result, got) = judge(*path, Some(Expected::RejectedKey), status(*code));
            assert_eq!(got, *expected, "{path:?} {code}");
            assert_eq!(result.is_ok(), expected.is_some(), "{path:?} {code}: an expected outcome is no failure");
        }
    }

    #[test]
    fn answers_and_other_failures_pass_through() {
        for path in [Path::Happy, Path::UpstreamFailure, Path::Timeout, REJECTED] {
            let ok = Ended { status: StatusCode::from_u16(200).ok(), result: Ok(()), disconnected: false };
            assert_eq!(judge(path, None, ok), (Ok(()), None));
            let timeout = Ended { status: None, result: Err(ErrorKind::Timeout), disconnected: false };
            assert_eq!(judge(path, None, timeout), (Err(ErrorKind::Timeout), None), "leaksoak's own timeout");
        }
        let cut = Ended { status: StatusCode::from_u16(200).ok(), result: Ok(()), disconnected: true };
        assert_eq!(judge(Path::Disconnect { after_chunks: 3 }, None, cut), (Ok(()), Some(Expected::Disconnected)));
    }
}
