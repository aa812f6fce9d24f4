//! Peak resident memory, from `/proc/self/status`.

use std::fs;

/// Resets the peak resident set size (`VmHWM`) to the current one, so the next reading is
/// the peak of what runs in between. Returns false where the kernel does not allow it.
pub fn reset_peak() -> bool {
    fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// The peak resident set size (`VmHWM`) in bytes, if the system reports it.
pub fn peak_bytes() -> Option<u64> {
    status_kib("VmHWM:").map(|kib| kib * 1024)
}

/// The current resident set size (`VmRSS`) in bytes, if the system reports it.
pub fn current_bytes() -> Option<u64> {
    status_kib("VmRSS:").map(|kib| kib * 1024)
}

fn status_kib(field: &str) -> Option<u64> {
    let status = fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line[field.len()..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_the_peak_after_a_reset() {
        super::reset_peak();
        let peak = super::peak_bytes().expect("VmHWM on Linux");
        assert!(peak > 0);
        assert!(super::current_bytes().unwrap() <= peak + 4096 * 1024);
    }
}
