//! `chlast-fuzz`: the differential fuzzer of `conv-channels-last` (see
//! `chlast::fuzz`).
//!
//! ```sh
//! chlast-fuzz --seed 0 --count 200                 # a fixed batch
//! chlast-fuzz --seed 1000 --minutes 30 --save out  # a campaign
//! chlast-fuzz --print 17                           # graph 17 as MLIR
//! chlast-fuzz --check out/fail-17.mlir --seed 17   # recheck a reproducer
//! ```

use chlast::fuzz;
use std::io::Write as _;
use std::path::PathBuf;
use std::time::{Duration, Instant};

const USAGE: &str = "\
usage: chlast-fuzz [--seed S] [--count N | --minutes M] [--save DIR] [--no-shrink]
                   [--progress FILE]
       chlast-fuzz --print SEED
       chlast-fuzz --check FILE --seed S

Generates random conv networks from consecutive seeds (S, S+1, ...) and
checks conv-channels-last on each: the output verifies, is idempotent,
materializes, and computes what the original computes on the CPU and with
the CUDA lowering's convolutions run by the CPU reference (cpu-cudnn) and
by oneDNN (cpu). Failures are shrunk to small reproducers. Exit status 1 when any failed.

  --seed S         first seed (default 0)
  --count N        graphs to check (default 100)
  --minutes M      check graphs until M minutes have passed (instead of --count)
  --save DIR       write each failure's reproducer to DIR/fail-SEED-STAGE.mlir
  --no-shrink      report failures without shrinking them
  --progress FILE  write each seed to FILE before checking it (so that a
                   crash can be traced to its seed)
  --print SEED     print the graph of SEED as MLIR and exit
  --check FILE     check the MLIR in FILE with the options and inputs of --seed
";

#[derive(Default)]
struct Options {
    seed: u64,
    count: Option<u64>,
    minutes: Option<f64>,
    save: Option<PathBuf>,
    shrink: bool,
    progress: Option<PathBuf>,
    print: Option<u64>,
    check: Option<PathBuf>,
}

fn parse(args: &[String]) -> Result<Option<Options>, String> {
    let mut o = Options {
        shrink: true,
        ..Default::default()
    };
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f, Some(v.to_string())),
            _ => (arg.as_str(), None),
        };
        let mut value = || {
            inline
                .clone()
                .or_else(|| iter.next().cloned())
                .ok_or_else(|| format!("{flag} needs a value"))
        };
        let number = |text: String| {
            text.parse::<u64>()
                .map_err(|_| format!("{flag}: '{text}' is not a non-negative integer"))
        };
        match flag {
            "-h" | "--help" => return Ok(None),
            "--seed" => o.seed = number(value()?)?,
            "--count" => o.count = Some(number(value()?)?),
            "--minutes" => {
                let text = value()?;
                o.minutes = Some(
                    text.parse::<f64>()
                        .ok()
                        .filter(|m| *m > 0.0 && m.is_finite())
                        .ok_or(format!("--minutes: '{text}' is not a positive number"))?,
                );
            }
            "--save" => o.save = Some(PathBuf::from(value()?)),
            "--no-shrink" => o.shrink = false,
            "--progress" => o.progress = Some(PathBuf::from(value()?)),
            "--print" => o.print = Some(number(value()?)?),
            "--check" => o.check = Some(PathBuf::from(value()?)),
            _ => return Err(format!("unknown argument '{arg}'")),
        }
    }
    if o.count.is_some() && o.minutes.is_some() {
        return Err("--count and --minutes are exclusive".into());
    }
    Ok(Some(o))
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let options = match parse(&args) {
        Ok(Some(o)) => o,
        Ok(None) => {
            print!("{USAGE}");
            return;
        }
        Err(message) => {
            eprintln!("chlast-fuzz: {message}\n(run chlast-fuzz --help for usage)");
            std::process::exit(2);
        }
    };
    // As in chlast-opt: a big stack for MLIR's recursion, and the worker
    // exits the process itself.
    let worker = std::thread::Builder::new()
        .stack_size(1 << 30)
        .spawn(move || {
            let code = run(&options);
            let _ = std::io::stdout().flush();
            std::process::exit(code)
        })
        .expect("cannot start the chlast-fuzz thread");
    let _ = worker.join();
    std::process::exit(1)
}

fn run(o: &Options) -> i32 {
    if let Some(seed) = o.print {
        print!("{}", fuzz::graph::generate(seed).to_mlir());
        return 0;
    }
    // One oneDNN thread: the graphs are small, and campaigns run one
    // process per core (more threads only spin against each other). Without
    // oneDNN the oneDNN stage reports why.
    let _ = chlast::runtime::onednn::set_threads(1);
    if let Some(path) = &o.check {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) => {
                eprintln!("chlast-fuzz: {}: {e}", path.display());
                return 1;
            }
        };
        return match fuzz::check::check(&text, &fuzz::options_for(o.seed), o.seed) {
            Ok(passed) => {
                println!(
                    "{}: passed ({} conversions, {} cuDNN calls, {} oneDNN calls)",
                    path.display(),
                    passed.conversions,
                    passed.cudnn_calls,
                    passed.onednn_calls
                );
                0
            }
            Err(failure) => {
                println!("{}: {failure}", path.display());
                1
            }
        };
    }
    if let Some(dir) = &o.save
        && let Err(e) = std::fs::create_dir_all(dir)
    {
        eprintln!("chlast-fuzz: {}: {e}", dir.display());
        return 1;
    }
    let start = Instant::now();
    let deadline = o.minutes.map(|m| Duration::from_secs_f64(m * 60.0));
    let count = o
        .count
        .unwrap_or(if deadline.is_some() { u64::MAX } else { 100 });
    let (mut graphs, mut convs, mut conversions, mut calls, mut onednn_calls) =
        (0u64, 0usize, 0usize, 0usize, 0usize);
    let mut failures = Vec::new();
    let mut seed = o.seed;
    while graphs < count && deadline.is_none_or(|d| start.elapsed() < d) {
        if let Some(path) = &o.progress {
            let _ = std::fs::write(path, format!("{seed}\n"));
        }
        convs += fuzz::graph::generate(seed).convs();
        match fuzz::run_seed(seed, o.shrink) {
            Ok(passed) => {
                conversions += passed.conversions;
                calls += passed.cudnn_calls;
                onednn_calls += passed.onednn_calls;
            }
            Err((failure, text)) => {
                println!(
                    "seed {seed}: {}",
                    failure.to_string().lines().next().unwrap_or("")
                );
                if let Some(dir) = &o.save {
                    let path = dir.join(format!("fail-{seed}-{}.mlir", failure.stage.name()));
                    if let Err(e) = std::fs::write(&path, &text) {
                        eprintln!("chlast-fuzz: {}: {e}", path.display());
                    }
                } else {
                    println!("{text}");
                }
                failures.push(seed);
            }
        }
        graphs += 1;
        seed += 1;
    }
    println!(
        "chlast-fuzz: {graphs} graphs (seeds {}..{}), {convs} convs, {conversions} conversions, \
         {calls} cuDNN calls on the CPU reference, {onednn_calls} on oneDNN, {} failures, {:.1} s",
        o.seed,
        seed,
        failures.len(),
        start.elapsed().as_secs_f64()
    );
    i32::from(!failures.is_empty())
}
