//! Compile-time benchmarks through the library API: parse, then
//! `conv-channels-last`, then `chlast-materialize-layouts`, on generated
//! chains (`chlast::generate`) of N = 100, 1 000, 2 000, 5 000 and 20 000
//! blocks in 2-D and 3-D, plus the shared fixture, `examples/*.mlir` and
//! `examples/models/*.mlir`.
//!
//! ```sh
//! cargo bench --bench compile_time                 # everything, ~5 minutes on 2 cores
//! cargo bench --bench compile_time -- chain2d      # a subset (criterion filter)
//! CHLAST_BENCH_MATERIALIZE_ALL=1 cargo bench --bench compile_time   # materialize at 20 000 too
//! ```
//!
//! Each criterion iteration is one compile: parse the text, run
//! `conv-channels-last{max-ops-per-conv=0}` (and `chlast-materialize-layouts`
//! where enabled, in a second pass manager), each timed on its own; criterion
//! reports the sum with throughput in top-level ops per second. A summary
//! table follows: mean time per phase, time per top-level op, and the scaling
//! from N to 10 N blocks (1 000 / 100 and 20 000 / 2 000).
//!
//! `max-ops-per-conv=0` keeps the density rule from skipping a function: the
//! benchmark measures the pass doing its work. Pass managers verify the IR
//! after each pass (MLIR's default), as `chlast-opt` does; that time counts
//! in the pass. Materialization is skipped at 20 000 blocks unless asked for,
//! to keep the whole run short.

use chlast::generate::{ChainSpec, chain};
use chlast::passes::{ConvChannelsLastOptions, conv_channels_last};
use criterion::{BenchmarkId, Criterion, SamplingMode, Throughput};
use melior::{
    Context,
    dialect::DialectRegistry,
    ir::{BlockLike, Module, RegionLike, operation::OperationLike},
    pass::PassManager,
};
use std::cell::RefCell;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Block counts of the generated chains.
const BLOCKS: [usize; 5] = [100, 1_000, 2_000, 5_000, 20_000];

/// The pipeline of the materialization pass (registered in MLIR's pass
/// registry by `chlast::passes::register_passes`).
const MATERIALIZE: &str = "builtin.module(chlast-materialize-layouts)";

/// One input: its name (`chain2d/100`, `vae_resblock3d`), its label within
/// its criterion group, its MLIR text and its number of top-level ops.
struct Input {
    name: String,
    label: String,
    text: String,
    ops: usize,
}

/// The phases of one compile.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Phase {
    Parse,
    Layout,
    Materialize,
}

const PHASES: [Phase; 3] = [Phase::Parse, Phase::Layout, Phase::Materialize];

/// Total time and count of one phase on one input.
#[derive(Default, Clone, Copy)]
struct Record {
    total: Duration,
    iterations: u64,
}

impl Record {
    fn mean(&self) -> Option<f64> {
        (self.iterations > 0).then(|| self.total.as_secs_f64() / self.iterations as f64)
    }
}

/// Per input (in bench order): name, top-level ops, one record per phase.
type Records = Vec<(String, usize, [Record; 3])>;

thread_local! {
    static RECORDS: RefCell<Records> = const { RefCell::new(Vec::new()) };
}

fn record(input: &Input, phase: Phase, elapsed: Duration) {
    RECORDS.with(|records| {
        let mut records = records.borrow_mut();
        let index = match records.iter().position(|(n, _, _)| n == &input.name) {
            Some(i) => i,
            None => {
                records.push((input.name.clone(), input.ops, Default::default()));
                records.len() - 1
            }
        };
        // Warm-up and samples alike: every iteration is the same compile.
        let entry = &mut records[index].2[phase as usize];
        entry.total += elapsed;
        entry.iterations += 1;
    });
}

fn context() -> Context {
    let registry = DialectRegistry::new();
    chlast::dialect::register_upstream_and_chlast(&registry);
    let context = Context::new();
    context.append_dialect_registry(&registry);
    context.load_all_available_dialects();
    chlast::passes::register_passes();
    context
}

/// `conv-channels-last{max-ops-per-conv=0}` in a pass manager of its own.
fn layout_pass_manager(context: &Context) -> PassManager<'_> {
    let pass_manager = PassManager::new(context);
    let options = ConvChannelsLastOptions {
        max_ops_per_conv: 0,
        ..Default::default()
    };
    pass_manager.add_pass(conv_channels_last(&options).expect("valid options"));
    pass_manager
}

/// `chlast-materialize-layouts` in a pass manager of its own; `None` when
/// the pass is not registered in this build.
fn materialize_pass_manager(context: &Context) -> Option<PassManager<'_>> {
    let pass_manager = PassManager::new(context);
    // ----------------------------------------------------------------------
    // MATERIALIZATION: added by name from MLIR's registry; when
    // `chlast::passes` gets a typed constructor for it, use that here.
    // ----------------------------------------------------------------------
    melior::utility::parse_pass_pipeline(pass_manager.as_operation_pass_manager(), MATERIALIZE)
        .ok()?;
    Some(pass_manager)
}

fn parse<'c>(context: &'c Context, input: &Input) -> Module<'c> {
    Module::parse(context, &input.text).unwrap_or_else(|| panic!("{} does not parse", input.name))
}

/// One compile of `input`: returns its total time and records each phase.
fn compile(context: &Context, input: &Input, materialize: bool) -> Duration {
    let start = Instant::now();
    let mut module = parse(context, input);
    let parsed = start.elapsed();
    record(input, Phase::Parse, parsed);

    let start = Instant::now();
    layout_pass_manager(context)
        .run(&mut module)
        .unwrap_or_else(|e| panic!("conv-channels-last failed on {}: {e}", input.name));
    let laid_out = start.elapsed();
    record(input, Phase::Layout, laid_out);

    let mut total = parsed + laid_out;
    if materialize {
        let start = Instant::now();
        materialize_pass_manager(context)
            .expect("checked before benchmarking")
            .run(&mut module)
            .unwrap_or_else(|e| panic!("chlast-materialize-layouts failed on {}: {e}", input.name));
        let materialized = start.elapsed();
        record(input, Phase::Materialize, materialized);
        total += materialized;
    }
    // Freeing the module is not part of a compile; keep it out.
    drop(black_box(module));
    total
}

/// Top-level ops of the functions in `text` (the ops the pass walks),
/// counted on the parsed module.
fn count_ops(context: &Context, text: &str) -> usize {
    let Some(module) = Module::parse(context, text) else {
        return 0;
    };
    let mut count = 0;
    let mut op = module.body().first_operation();
    while let Some(function) = op {
        if let Ok(region) = function.region(0)
            && let Some(block) = region.first_block()
        {
            let mut inner = block.first_operation();
            while let Some(o) = inner {
                count += 1;
                inner = o.next_in_block();
            }
        }
        op = function.next_in_block();
    }
    count
}

fn repository() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn file_inputs(context: &Context) -> Vec<Input> {
    let mut files: Vec<PathBuf> = Vec::new();
    let fixture = repository().join("examples/imported/vae_decoder_block2d.torch-mlir.mlir");
    if fixture.exists() {
        files.push(fixture);
    } else {
        eprintln!(
            "compile_time: {} not found; skipping the fixture",
            fixture.display()
        );
    }
    // examples/*.mlir and the example models (not their large/ variants,
    // which are sized for run-time benchmarks).
    for dir in ["examples", "examples/models"] {
        if let Ok(entries) = std::fs::read_dir(repository().join(dir)) {
            let mut examples: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "mlir"))
                .collect();
            examples.sort();
            files.extend(examples);
        }
    }
    files
        .into_iter()
        .filter_map(|path| {
            let text = std::fs::read_to_string(&path).ok()?;
            let name = file_stem(&path);
            let ops = count_ops(context, &text);
            Some(Input {
                label: name.clone(),
                name,
                text,
                ops,
            })
        })
        .collect()
}

fn file_stem(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    name.trim_end_matches(".mlir")
        .trim_end_matches(".torch-mlir")
        .to_string()
}

fn chain_input(blocks: usize, dims: usize) -> Input {
    let spec = ChainSpec::new(blocks, dims).expect("2 or 3 dims");
    Input {
        name: format!("chain{dims}d/{blocks}"),
        label: blocks.to_string(),
        text: chain(&spec).expect("a valid spec"),
        ops: spec.op_count(),
    }
}

/// Criterion settings by size: big inputs take few, short samples.
fn configure(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    ops: usize,
) {
    let (samples, measurement) = match ops {
        0..=2_000 => (20, Duration::from_secs(2)),
        2_001..=20_000 => (10, Duration::from_secs(3)),
        20_001..=50_000 => (10, Duration::from_secs(5)),
        _ => (10, Duration::from_secs(8)),
    };
    // Flat sampling: the same number of iterations in every sample (one for
    // the big inputs: 10 runs in all, not 1 + 2 + ... + 10).
    group
        .sample_size(samples)
        .measurement_time(measurement)
        .warm_up_time(Duration::from_millis(500))
        .sampling_mode(SamplingMode::Flat);
    group.throughput(Throughput::Elements(ops as u64));
}

fn bench_input(
    c: &mut Criterion,
    context: &Context,
    group_name: &str,
    input: &Input,
    materialize: bool,
) {
    let mut group = c.benchmark_group(group_name);
    configure(&mut group, input.ops);
    let name = if materialize {
        "parse+pass+materialize"
    } else {
        "parse+pass"
    };
    group.bench_with_input(BenchmarkId::new(name, &input.label), input, |b, input| {
        b.iter_custom(|iterations| {
            (0..iterations)
                .map(|_| compile(context, input, materialize))
                .sum()
        })
    });
    group.finish();
}

fn print_summary() {
    RECORDS.with(|records| {
        let records = records.borrow();
        if records.is_empty() {
            return;
        }
        let cell = |t: Option<f64>| t.map_or("-".to_string(), format_seconds);
        println!();
        println!(
            "compile_time summary: mean per compile (warm-up included); conv-channels-last{{max-ops-per-conv=0}}"
        );
        println!(
            "| input | top-level ops | parse | conv-channels-last | per op | materialize | per op | total | per op |"
        );
        println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        for (name, ops, phases) in records.iter() {
            let [parse, layout, materialize] = PHASES.map(|p| phases[p as usize].mean());
            let total = [parse, layout, materialize].iter().flatten().sum::<f64>();
            let per_op = |t: Option<f64>| cell(t.map(|t| t / *ops.max(&1) as f64));
            println!(
                "| {name} | {ops} | {} | {} | {} | {} | {} | {} | {} |",
                cell(parse),
                cell(layout),
                per_op(layout),
                cell(materialize),
                per_op(materialize),
                cell(Some(total)),
                per_op(Some(total)),
            );
        }
        let mean = |name: &str, phase: Phase| {
            records
                .iter()
                .find(|(n, _, _)| n == name)
                .and_then(|(_, _, phases)| phases[phase as usize].mean())
        };
        println!();
        println!("scaling from N to 10 N blocks (10.0 is linear):");
        for dims in [2, 3] {
            for (small, large) in [(100, 1_000), (2_000, 20_000)] {
                let ratio = |phase: Phase| {
                    let a = mean(&format!("chain{dims}d/{small}"), phase)?;
                    let b = mean(&format!("chain{dims}d/{large}"), phase)?;
                    Some(b / a)
                };
                let both = |a: Option<f64>, b: Option<f64>| Some(a? + b?);
                let total = both(
                    mean(&format!("chain{dims}d/{large}"), Phase::Parse),
                    mean(&format!("chain{dims}d/{large}"), Phase::Layout),
                )
                .zip(both(
                    mean(&format!("chain{dims}d/{small}"), Phase::Parse),
                    mean(&format!("chain{dims}d/{small}"), Phase::Layout),
                ))
                .map(|(b, a)| b / a);
                if total.is_none() {
                    continue;
                }
                let show = |r: Option<f64>| r.map_or("-".to_string(), |r| format!("{r:.2}"));
                println!(
                    "  chain{dims}d time({large}) / time({small}): parse {}, conv-channels-last {}, parse + pass {}, materialize {}",
                    show(ratio(Phase::Parse)),
                    show(ratio(Phase::Layout)),
                    show(total),
                    show(ratio(Phase::Materialize)),
                );
            }
        }
    });
}

fn format_seconds(seconds: f64) -> String {
    if seconds >= 1.0 {
        format!("{seconds:.3} s")
    } else if seconds >= 1e-3 {
        format!("{:.2} ms", seconds * 1e3)
    } else if seconds >= 1e-6 {
        format!("{:.2} µs", seconds * 1e6)
    } else {
        format!("{:.0} ns", seconds * 1e9)
    }
}

fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    let context = context();
    let materialize = materialize_pass_manager(&context).is_some();
    if !materialize {
        eprintln!(
            "compile_time: chlast-materialize-layouts is not registered; timing parse and conv-channels-last only"
        );
    }
    // Materialization at 20 000 blocks adds ~2 minutes; opt in.
    let materialize_all = std::env::var_os("CHLAST_BENCH_MATERIALIZE_ALL").is_some();
    for input in file_inputs(&context) {
        bench_input(&mut criterion, &context, "models", &input, materialize);
    }
    for dims in [2, 3] {
        for blocks in BLOCKS {
            let input = chain_input(blocks, dims);
            let materialize = materialize && (blocks < 20_000 || materialize_all);
            bench_input(
                &mut criterion,
                &context,
                &format!("chain{dims}d"),
                &input,
                materialize,
            );
        }
    }
    criterion.final_summary();
    print_summary();
}
