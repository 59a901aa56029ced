//! `cgroup`: temp dirs that mimic v2 and v1, and the real v1 root when present.

use super::{MIB, sampler};
use leaksoak::settings::MemorySource;
use std::path::Path;

fn fake_cgroup(dir: &Path, file: &str, bytes: &str) {
    std::fs::create_dir_all(dir).expect("mkdir");
    std::fs::write(dir.join(file), bytes).expect("write usage");
}

#[tokio::test]
async fn cgroup_v2_and_v1_files_are_detected() {
    let root = tempfile::tempdir().expect("tempdir");
    let (v2, v1) = (root.path().join("v2"), root.path().join("v1"));
    fake_cgroup(&v2, "memory.current", "12345\n");
    fake_cgroup(&v1, "memory.usage_in_bytes", "67890\n");
    let mut s = sampler(MemorySource::Cgroup(v2.clone()));
    assert_eq!(s.sample().await.expect("v2").bytes, 12345);
    std::fs::write(v2.join("memory.current"), "100").expect("write");
    let reading = s.sample().await.expect("v2 again");
    assert_eq!((reading.bytes, reading.restarted), (100, false), "a drop is not a restart");
    assert_eq!(sampler(MemorySource::Cgroup(v1)).sample().await.expect("v1").bytes, 67890);
}

#[tokio::test]
async fn a_recreated_cgroup_is_a_restart() {
    let root = tempfile::tempdir().expect("tempdir");
    let dir = root.path().join("pod");
    fake_cgroup(&dir, "memory.current", "1000");
    let mut s = sampler(MemorySource::Cgroup(dir.clone()));
    assert!(!s.sample().await.expect("first").restarted);
    // Made beside the old one, so it cannot get the old inode back.
    let new = root.path().join("pod-new");
    fake_cgroup(&new, "memory.current", "2000");
    std::fs::remove_dir_all(&dir).expect("rm");
    std::fs::rename(&new, &dir).expect("mv");
    let reading = s.sample().await.expect("recreated");
    assert_eq!((reading.bytes, reading.restarted), (2000, true));
}

#[tokio::test]
async fn cgroup_errors_name_the_path() {
    let root = tempfile::tempdir().expect("tempdir");
    let err = sampler(MemorySource::Cgroup(root.path().into())).sample().await.expect_err("no usage file");
    assert!(err.to_string().contains("memory.current"), "{err}");
    fake_cgroup(root.path(), "memory.current", "max");
    let err = sampler(MemorySource::Cgroup(root.path().into())).sample().await.expect_err("not a number");
    assert!(err.to_string().contains("memory.current") && err.to_string().contains("max"), "{err}");
    let err = sampler(MemorySource::Cgroup(root.path().join("absent"))).sample().await.expect_err("absent");
    assert_eq!(err.kind(), "cgroup");
}

#[tokio::test]
async fn the_real_cgroup_v1_memory_root_when_present() {
    let root = Path::new("/sys/fs/cgroup/memory");
    if !root.join("memory.usage_in_bytes").exists() {
        eprintln!("no cgroup v1 memory controller here; skipped");
        return;
    }
    let reading = sampler(MemorySource::Cgroup(root.into())).sample().await.expect("v1 root");
    assert!(reading.bytes > MIB, "{reading:?}");
}
