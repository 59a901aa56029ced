use super::*;
use crate::analyze::Phase;
use crate::engine::{BatchRecord, CycleEnd, Judge};
use crate::settings::Analysis;

fn judged(scenario: &str) -> Judged {
    let batches = (0..10)
        .map(|i| BatchRecord {
            phase: Phase::Measure,
            memory_bytes: 50_000_000 + (i % 2) * 4096,
            requests: 100,
            errors: 0,
            errors_by_kind: Default::default(),
            expected_by_kind: Default::default(),
            resources: Default::default(),
            memory_breakdown: None,
        })
        .collect();
    Judge::new(scenario).judge(100, &Analysis::default(), batches, CycleEnd::Completed)
}

/// The file's lines, each parsed: `None` for a line that is not JSON.
fn lines(path: &Path) -> Vec<Option<serde_json::Value>> {
    let text = std::fs::read_to_string(path).expect("read the record file");
    text.lines().map(|l| serde_json::from_str(l).ok()).collect()
}

#[test]
fn a_cycle_after_a_cut_line_starts_on_a_line_of_its_own() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("soak.jsonl");
    let recorder = Recorder::open(&path).expect("open");
    recorder.cycle(&judged("a"));
    // A failed append (disk full) left half a line.
    std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .and_then(|mut f| f.write_all(b"{\"scenario\": \"a\", \"cyc"))
        .expect("cut");
    recorder.cycle(&judged("a"));
    recorder.cycle(&judged("b"));
    let lines = lines(&path);
    assert_eq!(lines.len(), 4, "{lines:?}");
    assert!(lines[1].is_none(), "the cut line stays alone: {lines:?}");
    let scenarios: Vec<_> = lines.iter().flatten().map(|v| v["scenario"].clone()).collect();
    assert_eq!(scenarios, ["a", "a", "b"]);
    let read = crate::recording::read(&std::fs::read_to_string(&path).expect("read"));
    assert_eq!(read.map(|r| r.iter().map(|s| s.cycles.len()).sum::<usize>()), Ok(3), "the good cycles read back");
}

#[test]
fn a_failed_append_is_counted() {
    /// Counts what the recorder tells it.
    #[derive(Default)]
    struct Failures(std::sync::atomic::AtomicU32);
    impl Observer for Failures {
        fn record_write_failed(&self) {
            self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
    }
    let failures = Arc::new(Failures::default());
    // `/dev/full` fails every write, as a full disk does; `Recorder::open` refuses a device, so it is opened here.
    let full = std::fs::OpenOptions::new().append(true).read(true).open("/dev/full").expect("open /dev/full");
    let recorder =
        Recorder { path: "/dev/full".into(), file: std::sync::Mutex::new(full), failures: None, rotation: None }
            .counting_failures(Arc::clone(&failures) as Arc<dyn Observer>);
    assert!(Recorder::open(Path::new("/dev/full")).is_err(), "a device is no record file");
    recorder.cycle(&judged("a"));
    recorder.cycle(&judged("a"));
    assert_eq!(failures.0.load(std::sync::atomic::Ordering::Relaxed), 2);
}

#[test]
fn reopen_follows_a_rotated_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (path, rotated) = (dir.path().join("soak.jsonl"), dir.path().join("soak.jsonl.1"));
    let recorder = Recorder::open(&path).expect("open");
    recorder.cycle(&judged("a"));
    std::fs::rename(&path, &rotated).expect("rotate");
    recorder.cycle(&judged("b"));
    recorder.reopen().expect("reopen");
    recorder.cycle(&judged("c"));
    let scenarios = |p: &Path| lines(p).into_iter().flatten().map(|v| v["scenario"].clone()).collect::<Vec<_>>();
    assert_eq!(scenarios(&rotated), ["a", "b"], "until reopened, the moved file");
    assert_eq!(scenarios(&path), ["c"], "then a new file at the path");
}
