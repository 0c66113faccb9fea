//! Command-line options (`--name value`), with the scenario defaults.

/// Printed on a usage error.
pub const USAGE: &str = "usage: loadgen --scenario fanout|echo|connect [options]
  --host H            server address (default 127.0.0.1; loopback only)
  --port P[,P2..]     server port (default 3000); several: client i connects to the
                      (i mod n)-th (a cluster: every node's clients, senders on each)
  --path P            Engine.IO path (default /socket.io/)
  --clients N         connections (fanout 1000, echo 200, connect 10000)
  --rooms R           fanout: rooms, client i joins room i % R (default 1)
  --senders S         fanout: senders, the first S clients (default 1)
  --window W          fanout: broadcasts in flight per sender (default 16)
  --rate D            fanout: fixed total deliveries/s (default 0 = as fast as the window allows)
  --payload B         bytes of the data object (default 100)
  --inflight K        echo: requests in flight per client (default 4)
  --duration SECS     measured time (default 10)
  --warmup SECS       unmeasured time before it (default 1)
  --max-messages M    fanout: at most M broadcasts per sender (default 100000000)
  --concurrency C     connect: handshakes in flight (default 64)
  --hold SECS         connect: keep the connections idle this long after the last (default 1)
  --pid PID[,PID..]   server process(es): CPU seconds and RSS from /proc (summed)
  --threads T         generator worker threads (default: CPUs this process may use)
  --label TEXT        copied into the JSON line";

/// Parsed options.
#[derive(Clone, Debug)]
pub struct Args {
    pub scenario: String,
    pub host: String,
    pub port: u16,
    /// Every `--port` given (`port` is the first).
    pub ports: Vec<u16>,
    pub path: String,
    pub clients: usize,
    pub rooms: usize,
    pub senders: usize,
    pub window: usize,
    pub rate: f64,
    pub payload: usize,
    pub inflight: usize,
    pub duration: f64,
    pub warmup: f64,
    pub max_messages: u64,
    pub concurrency: usize,
    pub hold: f64,
    pub pids: Vec<u32>,
    pub threads: usize,
    pub label: String,
}

impl Args {
    /// Parses `--name value` pairs; scenario-dependent defaults are applied afterwards.
    pub fn parse(mut it: impl Iterator<Item = String>) -> Result<Args, String> {
        let cpus = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1);
        let mut a = Args {
            scenario: String::new(),
            host: "127.0.0.1".into(),
            port: 3000,
            ports: vec![3000],
            path: "/socket.io/".into(),
            clients: 0,
            rooms: 1,
            senders: 1,
            window: 16,
            rate: 0.0,
            payload: 100,
            inflight: 4,
            duration: 10.0,
            warmup: 1.0,
            max_messages: 100_000_000,
            concurrency: 64,
            hold: 1.0,
            pids: Vec::new(),
            threads: cpus,
            label: String::new(),
        };
        while let Some(k) = it.next() {
            if k == "--help" || k == "-h" {
                return Err("help".into());
            }
            let v = it.next().ok_or_else(|| format!("{k} needs a value"))?;
            let num = |v: &str| {
                v.parse::<f64>()
                    .map_err(|_| format!("{k}: not a number: {v}"))
            };
            match k.as_str() {
                "--scenario" => a.scenario = v,
                "--host" => a.host = v,
                "--port" => {
                    a.ports = v
                        .split(',')
                        .map(|p| num(p).map(|n| n as u16))
                        .collect::<Result<_, _>>()?;
                    a.port = a.ports[0];
                }
                "--path" => a.path = v,
                "--clients" => a.clients = num(&v)? as usize,
                "--rooms" => a.rooms = (num(&v)? as usize).max(1),
                "--senders" => a.senders = (num(&v)? as usize).max(1),
                "--window" => a.window = (num(&v)? as usize).max(1),
                "--rate" => a.rate = num(&v)?,
                "--payload" => a.payload = num(&v)? as usize,
                "--inflight" => a.inflight = (num(&v)? as usize).max(1),
                "--duration" => a.duration = num(&v)?,
                "--warmup" => a.warmup = num(&v)?,
                "--max-messages" => a.max_messages = num(&v)? as u64,
                "--concurrency" => a.concurrency = (num(&v)? as usize).max(1),
                "--hold" => a.hold = num(&v)?,
                "--pid" => {
                    a.pids = v
                        .split(',')
                        .map(|p| num(p).map(|n| n as u32))
                        .collect::<Result<_, _>>()?
                }
                "--threads" => a.threads = (num(&v)? as usize).max(1),
                "--label" => a.label = v,
                _ => return Err(format!("unknown option {k}")),
            }
        }
        if a.scenario.is_empty() {
            return Err("--scenario is required".into());
        }
        if a.clients == 0 {
            a.clients = match a.scenario.as_str() {
                "echo" => 200,
                "connect" => 10_000,
                _ => 1000,
            };
        }
        let loopback = a.host == "localhost"
            || a.host
                .parse::<std::net::IpAddr>()
                .map(|ip| ip.is_loopback())
                .unwrap_or(false);
        if !loopback {
            return Err(format!("--host must be a loopback address, not {}", a.host));
        }
        if a.senders > a.clients {
            return Err("--senders cannot exceed --clients".into());
        }
        Ok(a)
    }

    /// The WebSocket URL of the Engine.IO endpoint (of the first port).
    pub fn url(&self) -> String {
        self.url_of(self.port)
    }

    /// The WebSocket URL on `port`.
    pub fn url_of(&self, port: u16) -> String {
        format!(
            "ws://{}:{}{}?EIO=4&transport=websocket",
            self.host, port, self.path
        )
    }

    /// The port client `i` connects to (clients alternate over every `--port`).
    pub fn port_of(&self, i: usize) -> u16 {
        self.ports[i % self.ports.len()]
    }
}
