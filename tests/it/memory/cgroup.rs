//! `cgroup`: temp dirs that mimic v2 and v1, and the real v1 root when present.

use super::{MIB, sampler};
use leaksoak::settings::{CgroupMetric, MemorySource};
use std::path::{Path, PathBuf};

fn usage(path: PathBuf) -> MemorySource {
    MemorySource::Cgroup { path, metric: CgroupMetric::Usage }
}

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
    let mut s = sampler(usage(v2.clone()));
    assert_eq!(s.sample().await.expect("v2").bytes, 12345);
    std::fs::write(v2.join("memory.current"), "100").expect("write");
    let reading = s.sample().await.expect("v2 again");
    assert_eq!((reading.bytes, reading.restarted), (100, false), "a drop is not a restart");
    assert_eq!(sampler(usage(v1)).sample().await.expect("v1").bytes, 67890);
}

/// Excerpts of real `memory.stat` files: v2 (`anon`, `inactive_file`) and v1 (`total_*` keys).
const V2_STAT: &str = "anon 41943040\nfile 62914560\nkernel 1048576\nactive_file 20971520\ninactive_file 41943040\n";
const V1_STAT: &str = "cache 10485760\nrss 4194304\ninactive_file 1\ntotal_cache 62914560\ntotal_rss 41943040\n\
                       total_inactive_file 41943040\ntotal_active_file 20971520\n";

#[tokio::test]
async fn working_set_and_anon_come_from_memory_stat_on_v2_and_v1() {
    let root = tempfile::tempdir().expect("tempdir");
    let (v2, v1) = (root.path().join("v2"), root.path().join("v1"));
    let total = (105 * MIB).to_string();
    fake_cgroup(&v2, "memory.current", &total);
    fake_cgroup(&v2, "memory.stat", V2_STAT);
    fake_cgroup(&v1, "memory.usage_in_bytes", &total);
    fake_cgroup(&v1, "memory.stat", V1_STAT);
    for dir in [v2, v1] {
        assert_eq!(read(&dir, CgroupMetric::Usage).await, 105 * MIB);
        assert_eq!(read(&dir, CgroupMetric::WorkingSet).await, 65 * MIB, "usage minus 40 MiB of inactive file");
        assert_eq!(read(&dir, CgroupMetric::Anon).await, 40 * MIB, "the page cache is left out");
    }
    // Once the version is known, `anon` reads memory.stat alone.
    let v2 = root.path().join("v2");
    let mut anon = sampler(MemorySource::Cgroup { path: v2.clone(), metric: CgroupMetric::Anon });
    assert_eq!(anon.sample().await.expect("first read").bytes, 40 * MIB);
    std::fs::remove_file(v2.join("memory.current")).expect("rm usage");
    assert_eq!(anon.sample().await.expect("memory.stat alone").bytes, 40 * MIB);
}

async fn read(dir: &Path, metric: CgroupMetric) -> u64 {
    sampler(MemorySource::Cgroup { path: dir.into(), metric }).sample().await.expect("reads").bytes
}

#[tokio::test]
async fn a_memory_stat_without_the_key_is_an_error_naming_it() {
    let root = tempfile::tempdir().expect("tempdir");
    fake_cgroup(root.path(), "memory.current", "1000");
    fake_cgroup(root.path(), "memory.stat", "file 5\n");
    let source = MemorySource::Cgroup { path: root.path().into(), metric: CgroupMetric::Anon };
    let err = sampler(source).sample().await.expect_err("no anon line");
    assert!(err.to_string().contains("memory.stat") && err.to_string().contains("no anon line"), "{err}");
}

#[tokio::test]
async fn a_recreated_cgroup_is_a_restart() {
    let root = tempfile::tempdir().expect("tempdir");
    let dir = root.path().join("pod");
    fake_cgroup(&dir, "memory.current", "1000");
    let mut s = sampler(usage(dir.clone()));
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
    let err = sampler(usage(root.path().into())).sample().await.expect_err("no usage file");
    assert!(err.to_string().contains("memory.current"), "{err}");
    fake_cgroup(root.path(), "memory.current", "max");
    let err = sampler(usage(root.path().into())).sample().await.expect_err("not a number");
    assert!(err.to_string().contains("memory.current") && err.to_string().contains("max"), "{err}");
    let err = sampler(usage(root.path().join("absent"))).sample().await.expect_err("absent");
    assert_eq!(err.kind(), "cgroup");
}

#[tokio::test]
async fn the_real_cgroup_v1_memory_root_when_present() {
    let root = Path::new("/sys/fs/cgroup/memory");
    if !root.join("memory.usage_in_bytes").exists() {
        eprintln!("no cgroup v1 memory controller here; skipped");
        return;
    }
    let total = read(root, CgroupMetric::Usage).await;
    assert!(total > MIB, "{total}");
    let (working_set, anon) = (read(root, CgroupMetric::WorkingSet).await, read(root, CgroupMetric::Anon).await);
    assert!(anon > 0 && anon <= total + 64 * MIB && working_set <= total + 64 * MIB, "{total} {working_set} {anon}");
}
