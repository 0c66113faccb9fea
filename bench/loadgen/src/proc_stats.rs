//! Process figures from /proc: CPU seconds and resident memory of the server (by pid) and of
//! the generator itself (to tell when the generator, not the server, is the bottleneck).

/// CPU time (user + system) of `pid` in seconds, or `None` when it cannot be read.
pub fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
    Some(ticks / clock_ticks())
}

/// CPU seconds every process on the machine has used (busy time from /proc/stat).
pub fn machine_busy_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let Some(line) = stat.lines().next() else {
        return 0.0;
    };
    // cpu user nice system idle iowait irq softirq steal …: everything but idle and iowait.
    let f: Vec<f64> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|v| v.parse().ok())
        .collect();
    let busy: f64 = f
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != 3 && *i != 4 && *i < 8)
        .map(|(_, v)| v)
        .sum();
    busy / clock_ticks()
}

/// CPU time of this process in seconds.
pub fn own_cpu_seconds() -> f64 {
    cpu_seconds(std::process::id()).unwrap_or(0.0)
}

fn clock_ticks() -> f64 {
    // SAFETY: sysconf has no preconditions.
    let t = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if t > 0 {
        t as f64
    } else {
        100.0
    }
}

/// A `kB` field of /proc/PID/status (`VmRSS`, `VmHWM`).
pub fn status_kb(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with(field) && l[field.len()..].starts_with(':'))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
}

/// Raises the soft open-file limit to the hard one (10 000 connections need it).
pub fn raise_nofile_limit() {
    // SAFETY: getrlimit/setrlimit with a valid, initialised struct.
    unsafe {
        let mut l = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut l) == 0 && l.rlim_cur < l.rlim_max {
            l.rlim_cur = l.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &l);
        }
    }
}

/// Server CPU and memory between two points of a run.
pub struct ServerWatch {
    pids: Vec<u32>,
    cpu_start: f64,
    own_start: f64,
    machine_start: f64,
}

impl ServerWatch {
    /// Starts measuring now (the server is every process of `pids`, e.g. a cluster's nodes).
    pub fn start(pids: &[u32]) -> Self {
        Self {
            pids: pids.to_vec(),
            cpu_start: pids.iter().filter_map(|p| cpu_seconds(*p)).sum(),
            own_start: own_cpu_seconds(),
            machine_start: machine_busy_seconds(),
        }
    }

    /// Server CPU seconds since start, summed over its processes (None without a pid).
    pub fn server_cpu(&self) -> Option<f64> {
        if self.pids.is_empty() {
            return None;
        }
        let now: Option<f64> = self.pids.iter().map(|p| cpu_seconds(*p)).sum();
        Some(now? - self.cpu_start)
    }

    /// Generator CPU seconds since start.
    pub fn own_cpu(&self) -> f64 {
        own_cpu_seconds() - self.own_start
    }

    /// CPU seconds used since start by everything except the server and this generator:
    /// the noise other work on the machine added to the run.
    pub fn other_cpu(&self) -> f64 {
        let machine = machine_busy_seconds() - self.machine_start;
        (machine - self.server_cpu().unwrap_or(0.0) - self.own_cpu()).max(0.0)
    }

    /// Server peak RSS so far, kB.
    pub fn peak_rss_kb(&self) -> Option<u64> {
        self.sum_kb("VmHWM")
    }

    /// Server current RSS, kB.
    pub fn rss_kb(&self) -> Option<u64> {
        self.sum_kb("VmRSS")
    }

    fn sum_kb(&self, field: &str) -> Option<u64> {
        if self.pids.is_empty() {
            return None;
        }
        self.pids.iter().map(|p| status_kb(*p, field)).sum()
    }
}
