//! `cargo xtask bench`: chaosprom side by side with curl (the floor), a
//! Rust peer built on the crates.io `prometheus-http-query` (as the issue's
//! figures were taken: plain HTTP only, no TLS stack, and again with its
//! `rustls-tls` feature, as a command line that can reach https:// ships
//! it), and the Python
//! extension when `CTK_PYTHON` names a Python that has it, and the static
//! build (`cargo xtask dist`) when this machine can make it; one `hyperfine`
//! run per workload, then rounds that interleave the contenders, on
//! real servers the test kit starts, with a generated
//! dataset of a known shape.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use chaosprom_testkit::Prometheus;
use serde_json::{Value, json};

/// Series of the large dataset, and samples per series (one a minute: a
/// day). A range query over the last day at a 60 s step returns 2,000 ×
/// 1,441 points, about 66 MB of JSON.
const LARGE_SERIES: usize = 2_000;
const SAMPLES: i64 = 1_440;
const SMALL_SERIES: usize = 10;
/// Probes in the run workload's hypothesis, each run before and after the
/// method: 200 queries.
const PROBES: usize = 100;

/// The workloads, in the order they run.
pub(crate) const WORKLOADS: [&str; 4] = ["instant", "range_small", "range_large", "run"];

#[derive(Debug)]
pub(crate) struct Options {
    pub(crate) runs: u32,
    pub(crate) warmup: u32,
    pub(crate) workloads: Vec<String>,
}

/// One contender of a workload: a name and its command line.
struct Contender {
    name: &'static str,
    argv: Vec<String>,
}

impl Contender {
    /// Its command, output discarded.
    fn command(&self) -> Command {
        let mut command = Command::new(&self.argv[0]);
        command.args(&self.argv[1..]).stdout(Stdio::null());
        command
    }

    fn cannot_start(&self, e: &std::io::Error) -> String {
        format!("{}: could not start {}: {e}", self.name, self.argv[0])
    }
}

pub(crate) fn run(options: &Options) -> crate::Result {
    for workload in &options.workloads {
        if !WORKLOADS.contains(&workload.as_str()) {
            return Err(format!(
                "unknown workload '{workload}', expected one of {}",
                WORKLOADS.join(", ")
            ));
        }
    }
    for tool in ["hyperfine", "curl"] {
        if which::which(tool).is_err() {
            return Err(format!(
                "{tool} is not installed (as root: apt-get install -y {tool})"
            ));
        }
    }
    let root = crate::root();
    let out = root.join("target/bench");
    std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;

    println!("Building chaosprom (release)...");
    build(crate::cargo().args(["build", "--release", "-p", "chaosprom-cli"]))?;
    let chaosprom = crate::target_dir().join("release/chaosprom");
    println!("Building the Rust peer (prometheus-http-query)...");
    build(
        crate::cargo()
            .args(["build", "--release", "--manifest-path"])
            .arg(root.join("xtask/bench-peer/Cargo.toml"))
            .arg("--target-dir")
            .arg(root.join("target/bench-peer")),
    )?;
    let peer = root.join("target/bench-peer/release/chaosprom-bench-peer");
    println!("Building the Rust peer with rustls, as a real command line ships it...");
    build(
        crate::cargo()
            .args(["build", "--release", "--features", "tls", "--manifest-path"])
            .arg(root.join("xtask/bench-peer/Cargo.toml"))
            .arg("--target-dir")
            .arg(root.join("target/bench-peer-tls")),
    )?;
    let peer_tls = root.join("target/bench-peer-tls/release/chaosprom-bench-peer");
    let chaosprom_static = match crate::dist::missing() {
        None => Some(crate::dist::build()?),
        Some(why) => {
            println!("chaosprom static: not measured ({why})");
            None
        }
    };
    let python = python();
    match &python {
        Some(p) => println!("Python extension: {}", p.display()),
        None => println!(
            "Python extension: not measured (set CTK_PYTHON to a Python with \
             chaostoolkit-prometheus, and chaostoolkit for the run workload)"
        ),
    }

    let now = jiff::Timestamp::now().as_second();
    let end = now / 60 * 60 - 120;
    println!(
        "Generating {LARGE_SERIES} + {SMALL_SERIES} series × {SAMPLES} samples and \
         loading them with promtool (about a minute)..."
    );
    let prometheus = Prometheus::builder()
        .history(dataset(end))
        // The data ends two minutes ago: a long lookback keeps "now"
        // queries full for hours, and fixed block sizes keep compaction
        // from running while we measure.
        .lookback_delta("6h")
        .arg("--storage.tsdb.min-block-duration=2h")
        .arg("--storage.tsdb.max-block-duration=2h")
        .ready_timeout(std::time::Duration::from_secs(120))
        .start()
        .map_err(|e| e.to_string())?;
    let url = prometheus.url().to_owned();
    println!("Prometheus: {url} (data up to {})", timestamp(end));

    let mut report = format!(
        "# cargo xtask bench\n\n{} · {} runs after {} warm-up runs per command · \
         ratios are medians over the median of the reference, in the same \
         hyperfine run\n",
        jiff::Timestamp::now(),
        options.runs,
        options.warmup
    );
    for workload in &options.workloads {
        let contenders = contenders(
            workload,
            &Setup {
                url: &url,
                now,
                chaosprom: &chaosprom,
                chaosprom_static: chaosprom_static.as_deref(),
                peer: &peer,
                peer_tls: &peer_tls,
                python: python.as_deref(),
                out: &out,
            },
        )?;
        println!("\n== {workload}");
        let section = measure(workload, &contenders, options, &out)?;
        println!("{section}");
        report.push_str(&section);
        let rounds = rounds(workload, options.runs);
        if rounds > 0 {
            println!("== {workload}: {rounds} interleaved rounds");
            let section = interleave(workload, &contenders, rounds)?;
            println!("{section}");
            report.push_str(&section);
        }
    }
    let summary = out.join("summary.md");
    std::fs::write(&summary, &report).map_err(|e| format!("{}: {e}", summary.display()))?;
    println!("\nThe tables are in {}", summary.display());
    Ok(())
}

struct Setup<'a> {
    url: &'a str,
    now: i64,
    chaosprom: &'a Path,
    /// The static build, when this machine can make it.
    chaosprom_static: Option<&'a Path>,
    peer: &'a Path,
    /// The same peer built with rustls.
    peer_tls: &'a Path,
    python: Option<&'a Path>,
    out: &'a Path,
}

/// The commands of a workload, curl first.
fn contenders(workload: &str, s: &Setup<'_>) -> crate::Result<Vec<Contender>> {
    let url = s.url;
    let chaosprom = s.chaosprom.display().to_string();
    let peer = s.peer.display().to_string();
    let peer_tls = s.peer_tls.display().to_string();
    let argv = |items: &[&str]| items.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    let py_probe = |code: String| {
        s.python.map(|p| Contender {
            name: "python",
            argv: vec![p.display().to_string(), "-c".into(), code],
        })
    };
    let mut list = Vec::new();
    match workload {
        "instant" => {
            let at = (s.now - 60).to_string();
            list.push(Contender {
                name: "curl",
                argv: argv(&[
                    "curl",
                    "-sf",
                    "-o",
                    "/dev/null",
                    &format!("{url}/api/v1/query?query=up&time={at}"),
                ]),
            });
            list.extend(py_probe(format!(
                "from chaosprometheus.probes import query; \
                 query('up', when='1 minute ago', configuration={{'prometheus_base_url': '{url}'}})"
            )));
            list.push(Contender {
                name: "peer",
                argv: argv(&[&peer, "instant", url, "up", "-60"]),
            });
            list.push(Contender {
                name: "peer+rustls",
                argv: argv(&[&peer_tls, "instant", url, "up", "-60"]),
            });
            list.push(Contender {
                name: "chaosprom",
                argv: argv(&[
                    &chaosprom,
                    "query",
                    "up",
                    "--when",
                    "1 minute ago",
                    "--url",
                    url,
                    "-o",
                    "json",
                ]),
            });
        }
        "range_small" | "range_large" => {
            let (promql, span) = if workload == "range_small" {
                ("up", 3_600)
            } else {
                ("chaosbench_large", 86_400)
            };
            // Every contender asks for the same whole seconds, and gets the
            // same answer: a start of `24 hours ago` carries the
            // milliseconds of now, and so does every point of the answer's
            // grid (`[1795614207.674,"687.789"]`: 77 MB instead of 66).
            let (start, end) = (s.now - span, s.now);
            let (start_arg, end_arg) = (start.to_string(), end.to_string());
            list.push(Contender {
                name: "curl",
                argv: argv(&[
                    "curl",
                    "-sf",
                    "-o",
                    "/dev/null",
                    &format!(
                        "{url}/api/v1/query_range?query={promql}&start={start}&end={end}&step=60"
                    ),
                ]),
            });
            list.extend(py_probe(format!(
                "from chaosprometheus.probes import query_interval; \
                 query_interval('{promql}', start='{start}', end='{end}', step=60, \
                 configuration={{'prometheus_base_url': '{url}'}})"
            )));
            list.push(Contender {
                name: "peer",
                argv: argv(&[&peer, "range", url, promql, &start_arg, &end_arg, "60"]),
            });
            list.push(Contender {
                name: "peer+rustls",
                argv: argv(&[&peer_tls, "range", url, promql, &start_arg, &end_arg, "60"]),
            });
            list.push(Contender {
                name: "chaosprom",
                argv: argv(&[
                    &chaosprom,
                    "query-range",
                    promql,
                    "--start",
                    &start_arg,
                    "--end",
                    &end_arg,
                    "--step",
                    "60",
                    "--url",
                    url,
                    "-o",
                    "json",
                ]),
            });
        }
        "run" => {
            let experiment = s.out.join("experiment.json");
            write_json(&experiment, &experiment_of(url))?;
            // The floor: one curl sending the run's 200 queries over one
            // keep-alive connection.
            let config = s.out.join("curl-200.conf");
            let mut text = String::new();
            for _ in 0..2 * PROBES {
                let _ = writeln!(
                    text,
                    "url = \"{url}/api/v1/query?query=up&time={}\"\noutput = \"/dev/null\"",
                    s.now
                );
            }
            std::fs::write(&config, text).map_err(|e| format!("{}: {e}", config.display()))?;
            list.push(Contender {
                name: "curl",
                argv: vec![
                    "curl".into(),
                    "-sf".into(),
                    "--config".into(),
                    config.display().to_string(),
                ],
            });
            if let Some(chaos) = s.python.and_then(|p| Some(p.parent()?.join("chaos"))) {
                if chaos.is_file() {
                    list.push(Contender {
                        name: "chaos run",
                        argv: vec![
                            chaos.display().to_string(),
                            "--no-version-check".into(),
                            "--log-file".into(),
                            s.out.join("chaostoolkit.log").display().to_string(),
                            "run".into(),
                            "--journal-path".into(),
                            s.out.join("journal-python.json").display().to_string(),
                            experiment.display().to_string(),
                        ],
                    });
                }
            }
            list.push(Contender {
                name: "chaosprom",
                argv: vec![
                    chaosprom,
                    "-q".into(),
                    "run".into(),
                    "--journal-path".into(),
                    s.out.join("journal-rust.json").display().to_string(),
                    experiment.display().to_string(),
                ],
            });
        }
        _ => return Err(format!("unknown workload '{workload}'")),
    }
    // The static build runs what the released build runs.
    let same = s.chaosprom_static.and_then(|binary| {
        let released = list.iter().find(|c| c.name == "chaosprom")?;
        let mut argv = released.argv.clone();
        argv[0] = binary.display().to_string();
        Some(Contender {
            name: "chaosprom static",
            argv,
        })
    });
    list.extend(same);
    Ok(list)
}

/// An experiment of 100 `query` probes in its hypothesis (200 queries in a
/// run) and a method that does nothing.
fn experiment_of(url: &str) -> Value {
    let probes: Vec<Value> = (0..PROBES)
        .map(|i| {
            json!({
                "type": "probe",
                "name": format!("up-{i}"),
                "tolerance": {"type": "jsonpath", "path": "$.status", "expect": "success"},
                "provider": {
                    "type": "python",
                    "module": "chaosprometheus.probes",
                    "func": "query",
                    "arguments": {"query": "up", "when": "now"}
                }
            })
        })
        .collect();
    json!({
        "version": "1.0.0",
        "title": format!("{PROBES} probes"),
        "description": "cargo xtask bench: a steady-state hypothesis of many queries",
        "configuration": {"prometheus_base_url": url},
        "steady-state-hypothesis": {"title": "all up", "probes": probes},
        "method": [{"type": "action", "name": "noop", "provider": {"type": "process", "path": "true"}}]
    })
}

/// Runs one hyperfine over the contenders (after checking each exits 0)
/// and returns the workload's Markdown section.
fn measure(
    workload: &str,
    contenders: &[Contender],
    options: &Options,
    out: &Path,
) -> crate::Result<String> {
    for c in contenders {
        // What a contender logs (Python's probes and `chaos run` log every
        // query) is shown only when it fails.
        let output = c
            .command()
            .stderr(Stdio::piped())
            .output()
            .map_err(|e| c.cannot_start(&e))?;
        if !output.status.success() {
            return Err(format!(
                "{workload}: {} failed ({}): {}\n{}",
                c.name,
                output.status,
                c.argv.join(" "),
                String::from_utf8_lossy(&output.stderr).trim_end()
            ));
        }
    }
    let json_path = out.join(format!("{workload}.json"));
    let mut hyperfine = Command::new("hyperfine");
    hyperfine
        .args(["-N", "--style", "basic", "--runs"])
        .arg(options.runs.to_string())
        .arg("--warmup")
        .arg(options.warmup.to_string())
        .arg("--export-json")
        .arg(&json_path);
    for c in running_order(contenders) {
        hyperfine.arg("-n").arg(c.name).arg(shell_words(&c.argv));
    }
    let status = hyperfine
        .stdout(Stdio::null())
        .status()
        .map_err(|e| format!("could not start hyperfine: {e}"))?;
    if !status.success() {
        return Err(format!("hyperfine failed on {workload} ({status})"));
    }
    let text =
        std::fs::read_to_string(&json_path).map_err(|e| format!("{}: {e}", json_path.display()))?;
    let answer: Value =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", json_path.display()))?;
    let results = answer["results"]
        .as_array()
        .ok_or_else(|| format!("{}: no results", json_path.display()))?;
    let median = |name: &str| {
        results
            .iter()
            .find(|r| r["command"] == name)
            .and_then(|r| r["median"].as_f64())
    };
    let rss = if workload == "range_large" {
        peak_rss(contenders)
    } else {
        Vec::new()
    };
    let mut section = format!(
        "\n## {workload}\n\n| command | median | mean ± σ | × curl | × peer | × peer+rustls |{}\n|---|---:|---:|---:|---:|---:|{}\n",
        if rss.is_empty() { "" } else { " peak RSS |" },
        if rss.is_empty() { "" } else { "---:|" },
    );
    for (i, c) in contenders.iter().enumerate() {
        let r = results.iter().find(|r| r["command"] == c.name);
        let m = r.and_then(|r| r["median"].as_f64()).unwrap_or(f64::NAN);
        let mean = r.and_then(|r| r["mean"].as_f64()).unwrap_or(f64::NAN);
        let sd = r.and_then(|r| r["stddev"].as_f64()).unwrap_or(f64::NAN);
        let ratio = |reference: Option<f64>| match reference {
            Some(x) if x > 0.0 => format!("{:.2}", m / x),
            _ => "—".to_owned(),
        };
        let _ = write!(
            section,
            "| {} | {} | {} ± {} | {} | {} | {} |",
            c.name,
            seconds(m),
            seconds(mean),
            seconds(sd),
            ratio(median("curl")),
            ratio(median("peer")),
            ratio(median("peer+rustls")),
        );
        if let Some(kib) = rss.get(i) {
            let _ = write!(
                section,
                " {} |",
                kib.map_or("—".to_owned(), |k| format!(
                    "{:.1} MiB",
                    k as f64 / 1024.0
                ))
            );
        }
        section.push('\n');
    }
    Ok(section)
}

/// How many interleaved rounds a workload gets for `runs` hyperfine runs:
/// twenty times as many for the one-shot probes (a few milliseconds each),
/// three times as many for the large range and the run.
fn rounds(workload: &str, runs: u32) -> u32 {
    if is_probe(workload) {
        runs.saturating_mul(20)
    } else {
        runs.saturating_mul(3)
    }
}

/// Whether a workload is a one-shot probe, whose target is the peer (the
/// others' is curl).
fn is_probe(workload: &str) -> bool {
    matches!(workload, "instant" | "range_small")
}

/// Runs the contenders a target names once a round, in an order shuffled
/// anew each round, and returns the Markdown section: each one's median,
/// and the median of its per-round ratios to curl and to the peer.
///
/// hyperfine runs a command's runs in one block, and on the large range a
/// block inherits Prometheus' state: its garbage collector runs every few
/// 66 MB answers, and where those land moves a block's median by up to
/// 10 % (curl against itself, three blocks of 20 runs: 520, 542 and 554
/// ms). In a round, every contender meets the server in the same state,
/// so their ratio within a round is what the client changes. The probes'
/// target is the peer; the large range's and the run's is curl, and
/// there the peers (a second and a half and 560 MiB a run) and Python (no
/// target, seconds a run) are left out.
fn interleave(workload: &str, contenders: &[Contender], rounds: u32) -> crate::Result<String> {
    let probe = is_probe(workload);
    let timed: Vec<&Contender> = contenders
        .iter()
        .filter(|c| match c.name {
            "python" | "chaos run" => false,
            "peer" | "peer+rustls" => probe,
            _ => true,
        })
        .collect();
    let mut times = vec![Vec::new(); timed.len()];
    let mut order: Vec<usize> = (0..timed.len()).collect();
    let mut random = XorShift(0x9E37_79B9_7F4A_7C15);
    // One round first, untimed.
    for round in 0..=rounds {
        // Fisher-Yates.
        for i in (1..order.len()).rev() {
            let j = usize::try_from(random.next_u64() % (i as u64 + 1)).unwrap_or(0);
            order.swap(i, j);
        }
        for &i in &order {
            let c = timed[i];
            let started = std::time::Instant::now();
            let status = c
                .command()
                .stderr(Stdio::null())
                .status()
                .map_err(|e| c.cannot_start(&e))?;
            let elapsed = started.elapsed().as_secs_f64();
            if !status.success() {
                return Err(format!("{} failed ({status}) in round {round}", c.name));
            }
            if round > 0 {
                times[i].push(elapsed);
            }
        }
    }
    let find = |name: &str| timed.iter().position(|c| c.name == name);
    let (curl, peer) = (find("curl"), find("peer"));
    let paired = |i: usize, reference: Option<usize>| {
        reference.map_or_else(
            || "—".to_owned(),
            |r| {
                let ratios = times[i].iter().zip(&times[r]).map(|(a, b)| a / b).collect();
                let ratio = median(ratios);
                if ratio.is_finite() {
                    format!("{ratio:.3}")
                } else {
                    "—".to_owned()
                }
            },
        )
    };
    let mut section = format!(
        "\n{rounds} interleaved rounds (each command once a round, in a shuffled \
         order; the ratios are medians of the ratios within a round)\n\n\
         | command | median | × curl | × peer |\n|---|---:|---:|---:|\n"
    );
    for (i, c) in timed.iter().enumerate() {
        let _ = writeln!(
            section,
            "| {} | {} | {} | {} |",
            c.name,
            seconds(median(times[i].clone())),
            paired(i, curl),
            paired(i, peer),
        );
    }
    Ok(section)
}

/// xorshift64*: numbers that are the same every run, without a crate.
struct XorShift(u64);

impl XorShift {
    fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

/// The median of `values`; NaN when there are none.
fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    match n {
        0 => f64::NAN,
        _ if n % 2 == 1 => values[n / 2],
        _ => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

/// The order hyperfine runs the contenders in: the floor, then chaosprom
/// (the released build, then the static one), then the peers, then
/// Python. hyperfine runs each command's runs in one block, so a
/// contender inherits the machine its predecessor leaves:
/// after the peers' 560 MiB and Python's minute of 740 MiB queries on the
/// large range, the page cache and Prometheus' heap are not what curl
/// measured on. The floor and the program under test run back to back;
/// the heaviest run last. The table keeps the listing order.
fn running_order(contenders: &[Contender]) -> Vec<&Contender> {
    let rank = |name: &str| match name {
        "curl" => 0,
        "chaosprom" | "chaosprom static" => 1,
        "peer" => 2,
        "peer+rustls" => 3,
        _ => 4,
    };
    let mut order: Vec<&Contender> = contenders.iter().collect();
    order.sort_by_key(|c| rank(c.name));
    order
}

/// The median peak RSS (KiB) of five runs of each contender, from GNU
/// time; nothing where it is missing.
fn peak_rss(contenders: &[Contender]) -> Vec<Option<u64>> {
    let Some(time) = Some(PathBuf::from("/usr/bin/time")).filter(|p| p.is_file()) else {
        println!("(peak RSS not measured: /usr/bin/time is missing; apt-get install -y time)");
        return Vec::new();
    };
    contenders
        .iter()
        .map(|c| {
            let mut values: Vec<u64> = (0..5)
                .filter_map(|_| {
                    let output = Command::new(&time)
                        .args(["-f", "%M"])
                        .args(&c.argv)
                        .stdout(Stdio::null())
                        .output()
                        .ok()?;
                    let text = String::from_utf8_lossy(&output.stderr);
                    text.lines().last()?.trim().parse().ok()
                })
                .collect();
            values.sort_unstable();
            values.get(values.len() / 2).copied()
        })
        .collect()
}

/// The benchmark dataset as OpenMetrics: `up` (10 series of 1) and
/// `chaosbench_large` (2,000 series, a random walk with 3 decimals, the
/// same every time), one sample a minute for a day up to `end`.
fn dataset(end: i64) -> String {
    let stamps: Vec<String> = (0..SAMPLES)
        .map(|i| (end - (SAMPLES - 1 - i) * 60).to_string())
        .collect();
    let mut text = String::with_capacity(LARGE_SERIES * stamps.len() * 100);
    text.push_str("# HELP up Synthetic target health.\n# TYPE up gauge\n");
    for s in 0..SMALL_SERIES {
        for t in &stamps {
            let _ = writeln!(
                text,
                "up{{job=\"bench_small\",instance=\"node-{s:02}:9100\"}} 1 {t}"
            );
        }
    }
    text.push_str("# HELP chaosbench_large Synthetic gauge.\n# TYPE chaosbench_large gauge\n");
    let regions = ["eu-west-1", "eu-central-1", "us-east-1", "ap-south-1"];
    let mut random = XorShift(42);
    let mut next = move || (random.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
    for s in 0..LARGE_SERIES {
        let labels = format!(
            "chaosbench_large{{job=\"bench_large\",instance=\"host-{s:04}:9100\",\
             region=\"{}\",shard=\"shard-{:02}\"}}",
            regions[s % 4],
            s % 16
        );
        let mut v = 10.0 + 990.0 * next();
        for t in &stamps {
            v = (v + 10.0 * (next() - 0.5)).abs();
            let _ = writeln!(text, "{labels} {v:.3} {t}");
        }
    }
    text.push_str("# EOF\n");
    text
}

/// `CTK_PYTHON` when it can import the Python extension.
fn python() -> Option<PathBuf> {
    let python = PathBuf::from(std::env::var_os("CTK_PYTHON")?);
    let ok = Command::new(&python)
        .args(["-c", "import chaosprometheus.probes"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        println!(
            "CTK_PYTHON={} cannot import chaosprometheus: the Python extension is left out",
            python.display()
        );
    }
    ok.then_some(python)
}

fn build(command: &mut Command) -> crate::Result {
    let status = command
        .status()
        .map_err(|e| format!("could not run cargo: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("the build failed ({status})"))
    }
}

fn write_json(path: &Path, value: &Value) -> crate::Result {
    let text = serde_json::to_string_pretty(value).map_err(|e| e.to_string())?;
    std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}

/// A command line as hyperfine's `-N` splits it (shell words).
fn shell_words(argv: &[String]) -> String {
    argv.iter()
        .map(|a| {
            if !a.is_empty()
                && a.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./:=@%+,".contains(c))
            {
                a.clone()
            } else {
                format!("'{}'", a.replace('\'', r"'\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn seconds(s: f64) -> String {
    if !s.is_finite() {
        "—".to_owned()
    } else if s >= 1.0 {
        format!("{s:.2} s")
    } else {
        format!("{:.1} ms", s * 1000.0)
    }
}

fn timestamp(second: i64) -> String {
    jiff::Timestamp::from_second(second).map_or_else(|_| second.to_string(), |t| t.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_even_and_no_values() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(vec![4.0, 1.0, 3.0, 2.0]), 2.5);
        assert!(median(Vec::new()).is_nan());
    }

    #[test]
    fn range_contenders_ask_for_the_same_whole_seconds() {
        let dir = std::env::temp_dir();
        let setup = Setup {
            url: "http://127.0.0.1:9090",
            now: 1_795_614_206,
            chaosprom: Path::new("/bin/chaosprom"),
            chaosprom_static: Some(Path::new("/bin/chaosprom-static")),
            peer: Path::new("/bin/peer"),
            peer_tls: Path::new("/bin/peer-tls"),
            python: Some(Path::new("/bin/python3")),
            out: &dir,
        };
        let (start, end) = ("1795527806", "1795614206");
        let list = match contenders("range_large", &setup) {
            Ok(list) => list,
            Err(e) => panic!("{e}"),
        };
        // curl, Python, both peers, both builds of chaosprom.
        assert_eq!(list.len(), 6);
        for c in list {
            let line = c.argv.join(" ");
            assert!(
                line.contains(start) && line.contains(end) && !line.contains("ago"),
                "{}: {line}",
                c.name
            );
        }
    }
}
