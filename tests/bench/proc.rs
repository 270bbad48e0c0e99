//! CPU time from Linux's `/proc/…/stat`, for the benches.

use std::time::Duration;

/// The sum of two adjacent CPU-time fields of a `stat` file, starting at field `first`
/// (14: `utime` and `stime` of the process; 16: `cutime` and `cstime`, its waited-for
/// children), in clock ticks of 1/100 s. Zero when the file cannot be read.
pub fn stat_cpu(path: &str, first: usize) -> Duration {
    let stat = std::fs::read_to_string(path).unwrap_or_default();
    // Fields after the command name, which ends at the last `)`: state is field 3.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or(Vec::new(), |(_, rest)| rest.split_whitespace().collect());
    let ticks = |field: usize| -> u64 {
        fields
            .get(field - 3)
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    Duration::from_millis((ticks(first) + ticks(first + 1)) * 10)
}
