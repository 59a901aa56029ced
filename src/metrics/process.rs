//! leaksoak's own `process_*` metrics, the standard set every Prometheus client exports, read from
//! `/proc/self/stat` and `/proc/self/fd` on each render. The `prometheus` crate's own process collector
//! (through `procfs`) also reads `limits` and `status` and cost ~31 µs of a ~128 µs render; this one
//! reads what changes and asks the rest once, and gives CPU time in fractions of a second, not whole ones.

use crate::files::{MAX_LIST_FILE_BYTES, MAX_SMALL_FILE_BYTES, read_text_capped};
use prometheus::core::{Collector, Desc};
use prometheus::proto::{Counter, Gauge, Metric, MetricFamily, MetricType};
use std::path::Path;

/// The metrics, as (name, help, type).
const METRICS: [(&str, &str, MetricType); 7] = [
    ("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.", MetricType::COUNTER),
    ("process_open_fds", "Number of open file descriptors.", MetricType::GAUGE),
    ("process_max_fds", "Maximum number of open file descriptors.", MetricType::GAUGE),
    ("process_virtual_memory_bytes", "Virtual memory size in bytes.", MetricType::GAUGE),
    ("process_resident_memory_bytes", "Resident memory size in bytes.", MetricType::GAUGE),
    ("process_start_time_seconds", "Start time of the process since unix epoch in seconds.", MetricType::GAUGE),
    ("process_threads", "Number of OS threads in the process.", MetricType::GAUGE),
];

/// Collects the standard `process_*` metrics of this process (Linux; elsewhere it collects nothing).
#[derive(Debug)]
pub struct ProcessCollector {
    /// One per entry of [`METRICS`], for the registry's duplicate checks.
    descs: Vec<Desc>,
    /// Clock ticks per second, to turn `stat`'s CPU times and start time into seconds.
    ticks_per_second: f64,
    /// Bytes per page, to turn `stat`'s resident pages into bytes.
    page_size: f64,
    /// The machine's boot time (Unix seconds), from `/proc/stat`: `stat`'s start time counts from it.
    boot_time: f64,
}

impl ProcessCollector {
    pub fn new() -> Self {
        let descs = METRICS
            .iter()
            .filter_map(|(name, help, _)| {
                Desc::new(name.to_string(), help.to_string(), vec![], Default::default()).ok()
            })
            .collect();
        let (ticks, page) = system_constants();
        Self { descs, ticks_per_second: ticks, page_size: page, boot_time: boot_time().unwrap_or(0.0) }
    }

    /// The values of [`METRICS`], in order, or `None` when `/proc/self/stat` cannot be read.
    fn values(&self) -> Option<[f64; 7]> {
        let stat = read_text_capped(Path::new("/proc/self/stat"), MAX_SMALL_FILE_BYTES).ok()?;
        let f = StatFields::parse(&stat)?;
        let open_fds = std::fs::read_dir("/proc/self/fd").map_or(0, Iterator::count);
        Some([
            (f.utime + f.stime) / self.ticks_per_second,
            open_fds as f64,
            max_fds(),
            f.vsize,
            f.rss_pages * self.page_size,
            self.boot_time + f.start_time / self.ticks_per_second,
            f.threads,
        ])
    }
}

impl Default for ProcessCollector {
    fn default() -> Self {
        Self::new()
    }
}

impl Collector for ProcessCollector {
    fn desc(&self) -> Vec<&Desc> {
        self.descs.iter().collect()
    }

    fn collect(&self) -> Vec<MetricFamily> {
        let Some(values) = self.values() else { return vec![] };
        METRICS.iter().zip(values).map(|(&(name, help, kind), value)| family(name, help, kind, value)).collect()
    }
}

/// One family holding one unlabelled sample.
fn family(name: &str, help: &str, kind: MetricType, value: f64) -> MetricFamily {
    let mut metric = Metric::default();
    if kind == MetricType::COUNTER {
        let mut c = Counter::default();
        c.set_value(value);
        metric.set_counter(c);
    } else {
        let mut g = Gauge::default();
        g.set_value(value);
        metric.set_gauge(g);
    }
    let mut f = MetricFamily::default();
    f.set_name(name.to_owned());
    f.set_help(help.to_owned());
    f.set_field_type(kind);
    f.mut_metric().push(metric);
    f
}

/// The fields of `/proc/self/stat` that the metrics need (see proc(5)).
#[derive(Debug, Clone, Copy, PartialEq)]
struct StatFields {
    utime: f64,
    stime: f64,
    threads: f64,
    start_time: f64,
    vsize: f64,
    rss_pages: f64,
}

impl StatFields {
    /// Parses a `stat` line. The command name (field 2) is in parentheses and may hold spaces and
    /// parentheses itself, so the fields are counted from the last `)`.
    fn parse(stat: &str) -> Option<Self> {
        let rest = &stat[stat.rfind(')')? + 1..];
        // After the name: field 3 (state) is index 0, so field N is index N - 3.
        let fields: Vec<&str> = rest.split_ascii_whitespace().collect();
        let field = |n: usize| fields.get(n - 3)?.parse::<f64>().ok();
        Some(Self {
            utime: field(14)?,
            stime: field(15)?,
            threads: field(20)?,
            start_time: field(22)?,
            vsize: field(23)?,
            rss_pages: field(24)?,
        })
    }
}

/// Parses `/proc/self/stat` text and `/proc/stat` text as the `process_*` metrics do (see
/// [`crate::fuzz_api::proc`]): how many parses succeeded.
#[doc(hidden)]
pub fn parse_for_fuzzing(text: &str) -> usize {
    usize::from(StatFields::parse(text).is_some()) + usize::from(btime(text).is_some())
}

/// `btime` of `/proc/stat`: when the machine booted, in Unix seconds.
fn boot_time() -> Option<f64> {
    btime(&read_text_capped(Path::new("/proc/stat"), MAX_LIST_FILE_BYTES).ok()?)
}

/// The `btime` line of `/proc/stat` text.
fn btime(stat: &str) -> Option<f64> {
    stat.lines().find_map(|l| l.strip_prefix("btime "))?.trim().parse().ok()
}

/// Clock ticks per second and the page size.
#[allow(unsafe_code)]
fn system_constants() -> (f64, f64) {
    // SAFETY: sysconf only reads its integer argument.
    let (ticks, page) = unsafe { (libc::sysconf(libc::_SC_CLK_TCK), libc::sysconf(libc::_SC_PAGESIZE)) };
    (if ticks > 0 { ticks as f64 } else { 100.0 }, if page > 0 { page as f64 } else { 4096.0 })
}

/// The soft limit on open files; 0 when unlimited or unknown.
fn max_fds() -> f64 {
    crate::limits::open_files().map_or(0.0, |n| n as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_fields_are_counted_from_the_last_parenthesis() {
        let stat = "4242 (a (b) c) S 1 4242 4242 0 -1 4194560 500 0 0 0 250 50 0 0 20 0 7 0 123456 \
                    234205184 5308 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0";
        let f = StatFields::parse(stat).expect("parses");
        assert_eq!(
            f,
            StatFields {
                utime: 250.0,
                stime: 50.0,
                threads: 7.0,
                start_time: 123456.0,
                vsize: 234205184.0,
                rss_pages: 5308.0
            }
        );
        assert_eq!(StatFields::parse("4242 (cut"), None);
        assert_eq!(StatFields::parse("4242 (x) S 1 2"), None);
    }

    #[test]
    fn collects_this_process() {
        let families = ProcessCollector::new().collect();
        let names: Vec<&str> = families.iter().map(MetricFamily::name).collect();
        assert_eq!(names, METRICS.map(|m| m.0));
        let value = |name: &str| {
            let f = families.iter().find(|f| f.name() == name).expect("family");
            let m = &f.get_metric()[0];
            if f.get_field_type() == MetricType::COUNTER {
                m.get_counter().get_value()
            } else {
                m.get_gauge().get_value()
            }
        };
        assert!(value("process_resident_memory_bytes") > 1e6);
        assert!(value("process_threads") >= 1.0 && value("process_open_fds") >= 3.0);
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_secs_f64();
        let start = value("process_start_time_seconds");
        assert!(start > now - 3600.0 && start <= now + 1.0, "started {start}, now {now}");
    }
}
