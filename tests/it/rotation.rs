//! A rotated recording (`[record] rotate_bytes`) is one soak: resume and `analyze` over the rotated set,
//! oldest first, judge as over one unrotated file holding the same cycles.

use crate::helpers::{bin, settings, spawn_daemon_on_files, spawn_daemon_on_record, spawn_fake_process};
use crate::resume::{config, status, trend_only_lines};
use leaksoak::engine::Observer as _;
use leaksoak::recording::{Recorder, read, rotated_set};

/// The limit the sets below are rotated at: two or three cycles per file.
const LIMIT: u64 = 4096;

/// The 10 cycles of `synthetic-trend-only.json` as `run --record` writes them, rotating at [`LIMIT`]:
/// each file of the rotated set, oldest first, by name.
fn rotated_fixture() -> Vec<(String, Vec<u8>)> {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("record.jsonl");
    let record = leaksoak::settings::Record { rotate_bytes: Some(LIMIT), keep_rotated: 100 };
    let recorder = Recorder::open(&path).expect("open").rotating(record);
    let mut replay = leaksoak::app::Replay::new(settings("").analysis);
    for rec in read(&trend_only_lines(10)).expect("read the fixture") {
        for cycle in rec.cycles {
            recorder.cycle(&replay.judge(rec.scenario.clone(), rec.batch_size, cycle).1);
        }
    }
    let files = rotated_set(&path).expect("rotated set");
    let named = files.iter().map(|f| (f.file_name().expect("name").to_string_lossy().into_owned(), std::fs::read(f)));
    let set: Vec<(String, Vec<u8>)> = named.map(|(n, t)| (n, t.expect("read"))).collect();
    assert!(set.len() >= 3, "rotated into several files: {:?}", set.iter().map(|f| &f.0).collect::<Vec<_>>());
    assert!(set.iter().all(|(_, t)| t.len() as u64 <= LIMIT), "each file within the limit");
    set
}

fn concatenated(set: &[(String, Vec<u8>)]) -> Vec<u8> {
    set.iter().flat_map(|(_, t)| t.clone()).collect()
}

#[test]
fn analyze_judges_the_rotated_set_as_one_file() {
    let set = rotated_fixture();
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, text) in &set {
        std::fs::write(dir.path().join(name), text).expect("write");
    }
    std::fs::write(dir.path().join("one.jsonl"), concatenated(&set)).expect("write");
    let run = |files: Vec<String>| {
        let out = bin().arg("analyze").args(files).current_dir(dir.path()).output().expect("run analyze");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let rotated = run(set.iter().map(|(n, _)| n.clone()).collect());
    let one = run(vec!["one.jsonl".into()]);
    assert_eq!(rotated, one, "the same reports, gauge and exit code");
    assert_eq!(one.0, Some(1), "the trend gauge is raised after the last cycle: {}", one.1);
    assert!(
        one.1.contains(
            "synthetic-trend-only (10 cycles): growth=0 tail=0 error_spike=0 slope=0 trend=1 drowning=0 -> RAISED"
        ),
        "{}",
        one.1
    );
}

#[tokio::test]
async fn resume_reads_the_rotated_set_as_one_file() {
    let set = rotated_fixture();
    let fake = spawn_fake_process(&[]);
    let config = config(&fake, "synthetic-trend-only");
    let files: Vec<(&str, &[u8])> = set.iter().map(|(n, t)| (n.as_str(), t.as_slice())).collect();
    let rotated = status(&spawn_daemon_on_files(&config, &files).await).await;
    let one = status(&spawn_daemon_on_record(&config, &concatenated(&set)).await).await;
    let resumed = "resumed 1 scenarios, 10 cycles, trend history of 6 cycles";
    assert_eq!(one["resumed"], resumed, "{one}");
    assert_eq!(rotated["resumed"], format!("{resumed}, from {} files", set.len()), "{rotated}");
    for key in ["cycles", "leak_detected"] {
        assert_eq!(rotated["scenarios"][0][key], one["scenarios"][0][key], "{key}: {rotated} vs {one}");
    }
    assert_eq!(one["scenarios"][0]["leak_detected"]["trend"], true, "{one}");
}

#[tokio::test]
async fn a_rotated_file_that_is_not_a_recording_is_moved_aside_and_nothing_resumed() {
    let mut set = rotated_fixture();
    set[1].1 = b"this is not JSON\nnor this\n".to_vec();
    let fake = spawn_fake_process(&[]);
    let files: Vec<(&str, &[u8])> = set.iter().map(|(n, t)| (n.as_str(), t.as_slice())).collect();
    let d = spawn_daemon_on_files(&config(&fake, "synthetic-trend-only"), &files).await;
    let s = status(&d).await;
    assert!(s["resumed"].is_null(), "{s}");
    assert_eq!(s["scenarios"][0]["leak_detected"]["trend"], false, "{s}");
    let aside = format!("{}.unreadable-", set[1].0);
    let names: Vec<String> = std::fs::read_dir(d.dir.path())
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    let moved: Vec<&String> = names.iter().filter(|n| n.starts_with(&aside)).collect();
    assert_eq!(moved.len(), 1, "{names:?}");
    assert_eq!(std::fs::read(d.dir.path().join(moved[0])).expect("moved"), set[1].1, "moved aside, unchanged");
    for (name, text) in set.iter().filter(|(n, _)| *n != set[1].0) {
        assert_eq!(&std::fs::read(d.dir.path().join(name)).expect("kept"), text, "{name} is left as it was");
    }
}
