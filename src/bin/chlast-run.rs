//! `chlast-run`: runs a function of an MLIR file on the CPU or a CUDA GPU.
//!
//! ```text
//! chlast-run FILE.mlir [--target cpu|cpu-reference|cpu-cudnn|cuda] [--chip sm_80] [--emit-ptx DIR]
//!            [--passes PIPELINE]
//!            [--entry NAME] [--seed N | --inputs a.npy,b.npy]
//!            [--save-outputs DIR] [--iterations K]
//!            [--compare OTHER.mlir [--compare-target T] [--rtol R] [--atol A]]
//!            [--expect A.npy,B.npy [--rtol R] [--atol A]]
//!            [--opt-level L] [--threads N]
//! ```
//!
//! On the CPU the file is lowered like CUDA up to the cuDNN calls, which
//! oneDNN runs (`chlast::runtime::onednn`), and the rest with the upstream
//! CPU pipeline (see `chlast::runtime::lowering`); `cpu-reference` lowers
//! everything, convolutions included, to loops; `cpu-cudnn` runs the cuDNN
//! calls with a CPU reference (`chlast::runtime::cuda::reference`); on CUDA
//! the file is lowered with `chlast-lower-to-cuda` (see
//! `chlast::runtime::cuda_program`). All run with MLIR's ExecutionEngine. Inputs
//! are seeded pseudo-random tensors (`--seed`, default 0; see
//! `chlast::runtime::random`) or `.npy` files. Errors print
//! `chlast-run: ...` and exit with status 1.
//!
//! Over 600 lines for a reason: the command line (options, help, checks)
//! and one short function per mode (run, time, compare, profile, save)
//! over `chlast::runtime`; the logic lives in the library.

use chlast::runtime::{
    self, RuntimeError, Target,
    compare::{self, Tolerance},
    cpu::{CompileOptions, Convs, CpuProgram, Timings},
    cuda_program::{CudaOptions, CudaProgram, GraphTimings, LoweredCuda},
    entry::Signature,
    npy, random,
    tensor::Tensor,
};
use std::{
    path::{Path, PathBuf},
    process::ExitCode,
};

const USAGE: &str = "\
usage: chlast-run FILE.mlir [options]

Runs a function of FILE on the CPU (upstream MLIR lowering + ExecutionEngine)
or on a CUDA GPU (chlast-lower-to-cuda: PTX kernels + cuDNN convolutions).

options:
  --target T            where to run: cpu (default), convolutions on oneDNN
                        (libdnnl.so.2), the rest compiled; cpu-reference,
                        everything (convolutions too) as compiled loops;
                        cuda, which needs an NVIDIA GPU, its driver
                        (libcuda.so.1) and cuDNN 9 (libcudnn.so.9);
                        cpu-cudnn, the CUDA lowering's convolutions (the cuDNN
                        calls it makes) run by a CPU reference, everything
                        else as on cpu: checks the CUDA lowering without a GPU
  --chip sm_XX          GPU architecture for --target cuda (default sm_80)
  --emit-ptx DIR        --target cuda: write each kernel module's PTX to
                        DIR/NAME.ptx (before running, so it works without a GPU)
  --entry NAME          function to run (default: the only public func.func)
  --passes PIPELINE     run these passes on FILE before compiling it, e.g.
                        conv-channels-last or 'conv-channels-last{strategy=per-conv}'
                        (a pass list is nested under builtin.module(...));
                        not applied to --compare's file
  --seed N              seeded pseudo-random inputs (default: --seed 0); floats
                        uniform in [-1, 1), integers in [0, 16)
  --inputs A.npy,B.npy  inputs from .npy files, one per argument, in order
  --save-outputs DIR    write DIR/result0.npy, DIR/result1.npy, ...
  --iterations K        time K runs after one warm-up run (min and median;
                        on cuda, device time measured with CUDA events, and
                        K replays of the run captured as a CUDA graph)
  --compare OTHER.mlir  run OTHER on the same inputs and compare each output;
                        exit status 1 when an element differs beyond tolerance
  --compare-target T    run OTHER on target T (default: --target's), e.g.
                        `F --compare F --compare-target cpu-cudnn`; with
                        cpu-cudnn, the number of cuDNN calls run is printed
  --expect A.npy,B.npy  compare the outputs, in order, with reference .npy files
                        (another framework's, e.g. PyTorch's): |a - b| <=
                        atol * max|ref| + rtol * |ref|; exit status 1 when an
                        element differs beyond tolerance
  --rtol R, --atol A    tolerance of --compare and --expect: |a - b| <= atol +
                        rtol * |ref| (default for f32: rtol 1e-4, atol 1e-5)
  --opt-level L         LLVM optimization level of the JIT, 0-3 (default 2)
  --threads N           --target cpu: threads of oneDNN's convolutions and of
                        the compiled loops (default: OMP_NUM_THREADS, else all
                        cores)
  --profile-ops         CPU targets, with --iterations: also time every op of
                        the program (each linalg op, copy and convolution
                        call after bufferization) over K more runs and print
                        the time per kind of op and the slowest ops
  -h, --help            print this help
  --version             print the version
";

/// Parsed command line.
#[derive(Debug, Default)]
struct Options {
    file: PathBuf,
    entry: Option<String>,
    seed: Option<u64>,
    inputs: Option<Vec<PathBuf>>,
    save_outputs: Option<PathBuf>,
    iterations: Option<usize>,
    compare: Option<PathBuf>,
    expect: Option<Vec<PathBuf>>,
    rtol: Option<f64>,
    atol: Option<f64>,
    opt_level: Option<u32>,
    threads: Option<usize>,
    target: Target,
    compare_target: Option<Target>,
    chip: Option<String>,
    emit_ptx: Option<PathBuf>,
    passes: Option<String>,
    profile_ops: bool,
}

/// The targets chlast-run runs on.
const TARGETS: [Target; 4] = [
    Target::Cpu,
    Target::CpuReference,
    Target::CpuCudnn,
    Target::Cuda,
];

fn target(flag: &str, text: &str) -> Result<Target, String> {
    Target::parse(flag, text, &TARGETS)
}

enum Command {
    Run(Box<Options>),
    Help,
    Version,
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let options = match parse_args(&args) {
        Ok(Command::Run(options)) => options,
        Ok(Command::Help) => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Ok(Command::Version) => {
            println!("chlast-run {}", chlast::VERSION);
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("chlast-run: {message}");
            eprintln!("(run chlast-run --help for usage)");
            return ExitCode::FAILURE;
        }
    };
    chlast::run_on_large_stack("chlast-run", move || match run(&options) {
        Ok(true) => 0,
        Ok(false) => 1,
        Err(message) => {
            eprintln!("chlast-run: {message}");
            1
        }
    })
}

fn parse_args(args: &[String]) -> Result<Command, String> {
    let mut options = Options::default();
    let mut file = None;
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => (flag, Some(value.to_string())),
            _ => (arg.as_str(), None),
        };
        let mut value = |name: &str| -> Result<String, String> {
            inline
                .clone()
                .or_else(|| iter.next().cloned())
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match flag {
            "-h" | "--help" => return Ok(Command::Help),
            "--version" => return Ok(Command::Version),
            "--entry" => options.entry = Some(value(flag)?.trim_start_matches('@').to_string()),
            "--seed" => options.seed = Some(number(flag, &value(flag)?)?),
            "--inputs" => options.inputs = Some(path_list(&value(flag)?)),
            "--save-outputs" => options.save_outputs = Some(PathBuf::from(value(flag)?)),
            "--iterations" => {
                let k: usize = number(flag, &value(flag)?)?;
                if k == 0 {
                    return Err("--iterations must be at least 1".into());
                }
                options.iterations = Some(k);
            }
            "--compare" => options.compare = Some(PathBuf::from(value(flag)?)),
            "--expect" => options.expect = Some(path_list(&value(flag)?)),
            "--target" => options.target = target(flag, &value(flag)?)?,
            "--compare-target" => options.compare_target = Some(target(flag, &value(flag)?)?),
            "--chip" => options.chip = Some(value(flag)?),
            "--emit-ptx" => options.emit_ptx = Some(PathBuf::from(value(flag)?)),
            "--passes" => options.passes = Some(value(flag)?),
            "--profile-ops" => options.profile_ops = true,
            "--rtol" => options.rtol = Some(tolerance(flag, &value(flag)?)?),
            "--atol" => options.atol = Some(tolerance(flag, &value(flag)?)?),
            "--threads" => {
                let n: usize = number(flag, &value(flag)?)?;
                if n == 0 {
                    return Err("--threads must be at least 1".into());
                }
                options.threads = Some(n);
            }
            "--opt-level" | "-O" => {
                let level: u32 = number(flag, &value(flag)?)?;
                if level > 3 {
                    return Err("--opt-level must be 0, 1, 2 or 3".into());
                }
                options.opt_level = Some(level);
            }
            _ if flag.starts_with('-') && flag != "-" => {
                return Err(format!("unknown option '{arg}'"));
            }
            _ if file.is_none() => file = Some(PathBuf::from(arg)),
            _ => return Err(format!("unexpected argument '{arg}' (one input file only)")),
        }
    }
    options.file = file.ok_or("no input file (usage: chlast-run FILE.mlir [options])")?;
    if options.seed.is_some() && options.inputs.is_some() {
        return Err("--seed and --inputs are exclusive".into());
    }
    let uses_cuda = options.target == Target::Cuda || options.compare_target == Some(Target::Cuda);
    if !uses_cuda && (options.chip.is_some() || options.emit_ptx.is_some()) {
        return Err("--chip and --emit-ptx only apply to --target cuda".into());
    }
    let uses_onednn = options.target == Target::Cpu || options.compare_target == Some(Target::Cpu);
    if options.threads.is_some() && !uses_onednn {
        return Err("--threads only applies to --target cpu (oneDNN's threads)".into());
    }
    if options.profile_ops && (options.target == Target::Cuda || options.iterations.is_none()) {
        return Err("--profile-ops needs a CPU target and --iterations".into());
    }
    if options.compare.is_none() && options.compare_target.is_some() {
        return Err("--compare-target only applies to --compare".into());
    }
    if options.compare.is_none()
        && options.expect.is_none()
        && (options.rtol.is_some() || options.atol.is_some())
    {
        return Err("--rtol and --atol only apply to --compare and --expect".into());
    }
    Ok(Command::Run(Box::new(options)))
}

/// `a.npy,b.npy` as paths (empty entries dropped).
fn path_list(text: &str) -> Vec<PathBuf> {
    text.split(',')
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .collect()
}

fn number<T: std::str::FromStr>(flag: &str, text: &str) -> Result<T, String> {
    text.parse()
        .map_err(|_| format!("{flag}: '{text}' is not a valid non-negative integer"))
}

fn tolerance(flag: &str, text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(value) if value >= 0.0 && value.is_finite() => Ok(value),
        _ => Err(format!("{flag}: '{text}' is not a non-negative number")),
    }
}

/// A compiled program of either target.
enum Program<'c> {
    Cpu(CpuProgram<'c>),
    Cuda(Box<CudaProgram<'c>>),
}

impl Program<'_> {
    fn entry(&self) -> &str {
        match self {
            Program::Cpu(p) => p.entry(),
            Program::Cuda(p) => p.lowered().entry(),
        }
    }

    fn signature(&self) -> &Signature {
        match self {
            Program::Cpu(p) => p.signature(),
            Program::Cuda(p) => p.lowered().signature(),
        }
    }

    fn run(&self, inputs: &[Tensor]) -> Result<Vec<Tensor>, RuntimeError> {
        match self {
            Program::Cpu(p) => p.run(inputs),
            Program::Cuda(p) => p.run(inputs),
        }
    }

    fn time(&self, inputs: &[Tensor], iterations: usize) -> Result<Timings, RuntimeError> {
        match self {
            Program::Cpu(p) => p.time(inputs, iterations),
            Program::Cuda(p) => p.time(inputs, iterations),
        }
    }
}

/// Runs the command; `Ok(false)` when a comparison fails.
fn run(options: &Options) -> Result<bool, RuntimeError> {
    if let Some(threads) = options.threads {
        runtime::onednn::set_threads(threads).map_err(RuntimeError::Library)?;
    }
    let context = runtime::create_context();
    let opt_level = options
        .opt_level
        .unwrap_or(CompileOptions::default().opt_level);
    let compile = |path: &Path,
                   target: Target,
                   passes: Option<&str>,
                   profile_ops: bool|
     -> Result<Program, RuntimeError> {
        let mut module = runtime::cpu::parse_file(&context, path)?;
        if let Some(pipeline) = passes {
            runtime::lowering::run_pipeline(&context, &mut module, pipeline)?;
        }
        let name = path.display().to_string();
        if target != Target::Cuda {
            let compile_options = CompileOptions {
                entry: options.entry.clone(),
                opt_level,
                convs: match target {
                    Target::CpuReference => Convs::Loops,
                    Target::CpuCudnn => Convs::CudnnReference,
                    _ => Convs::OneDnn,
                },
                profile_ops,
                ..Default::default()
            };
            return Ok(Program::Cpu(CpuProgram::from_module(
                &context,
                &module,
                &name,
                &compile_options,
            )?));
        }
        let cuda_options = CudaOptions {
            entry: options.entry.clone(),
            chip: options.chip.clone().unwrap_or(CudaOptions::default().chip),
            stats: None,
        };
        let lowered = LoweredCuda::lower(&context, &module, &name, &cuda_options)?;
        if let Some(dir) = &options.emit_ptx {
            write_ptx(dir, &lowered)?;
        }
        Ok(Program::Cuda(Box::new(CudaProgram::new(
            lowered, opt_level,
        )?)))
    };
    let compile_start = std::time::Instant::now();
    let program = compile(
        &options.file,
        options.target,
        options.passes.as_deref(),
        options.profile_ops,
    )?;
    let compile_time = compile_start.elapsed();
    let other_target = options.compare_target.unwrap_or(options.target);
    let other = options
        .compare
        .as_deref()
        .map(|path| compile(path, other_target, None, false))
        .transpose()?;
    if let (Some(other), Some(path)) = (&other, &options.compare)
        && other.signature() != program.signature()
    {
        return Err(RuntimeError::SignatureMismatch {
            reference: format!(
                "@{} in {} is {}",
                program.entry(),
                options.file.display(),
                program.signature()
            ),
            other: format!(
                "@{} in {} is {}",
                other.entry(),
                path.display(),
                other.signature()
            ),
        });
    }

    let inputs = match &options.inputs {
        Some(paths) => read_inputs(&program, paths)?,
        None => random::random_inputs(options.seed.unwrap_or(0), &program.signature().arguments),
    };
    let outputs = program.run(&inputs)?;

    if let Some(dir) = &options.save_outputs {
        std::fs::create_dir_all(dir).map_err(|source| RuntimeError::Io {
            path: dir.display().to_string(),
            source,
        })?;
        for (index, output) in outputs.iter().enumerate() {
            npy::write(&dir.join(format!("result{index}.npy")), output)?;
        }
    }

    let expected = match &options.expect {
        Some(paths) => check_expected(options, &program, &outputs, paths)?,
        None => true,
    };
    let mut passed = true;
    match &other {
        None => {
            for (index, output) in outputs.iter().enumerate() {
                println!("result{index}: {}", summary(output));
            }
        }
        Some(other) => {
            let other_outputs = other.run(&inputs)?;
            for (index, (reference, actual)) in outputs.iter().zip(&other_outputs).enumerate() {
                let tolerance = tolerance_for(options, reference);
                let report = compare::compare(reference, actual, tolerance);
                println!("result{index}: {} {report}", reference.spec());
                print_worst(&report, reference, actual);
                passed &= report.passed();
            }
        }
    }
    if options.target == Target::CpuCudnn
        || options.compare.is_some() && other_target == Target::CpuCudnn
    {
        println!(
            "cuDNN calls run by the CPU reference: {}",
            runtime::cuda::reference::calls()
        );
    }
    let uses_onednn = |target: Target| target == Target::Cpu;
    if uses_onednn(options.target) || options.compare.is_some() && uses_onednn(other_target) {
        print_onednn_stats("", &runtime::onednn::stats());
    }
    if options.target == Target::Cuda || options.compare.is_some() && other_target == Target::Cuda {
        let uploads = runtime::cuda::uploads();
        println!(
            "constants on the device: {} ({} bytes), uploaded once at load",
            uploads.count, uploads.bytes
        );
    }
    if let Some(iterations) = options.iterations {
        let before = runtime::onednn::stats();
        let timings = program.time(&inputs, iterations)?;
        match (&other, &options.compare) {
            (Some(other), Some(path)) => {
                println!("{}: {timings}", options.file.display());
                let other_timings = other.time(&inputs, iterations)?;
                println!("{}: {other_timings}", path.display());
            }
            _ => {
                let clock = if options.target == Target::Cuda {
                    " (device time: CUDA events around each run)"
                } else {
                    ""
                };
                println!("{timings}{clock}");
                if let Program::Cuda(program) = &program {
                    passed &= print_graph_timings(&program.time_graph(&inputs, iterations)?);
                }
                if uses_onednn(options.target) {
                    let stats = runtime::onednn::stats();
                    print_profile(&timings, &before, &stats, iterations + 1);
                }
                println!(
                    "compile: {:.3} s (passes, lowering, LLVM at -O{opt_level})",
                    compile_time.as_secs_f64()
                );
            }
        }
        if let (true, Program::Cpu(program)) = (options.profile_ops, &program) {
            print_op_profile(&program.op_profile(&inputs, iterations)?, iterations);
        }
    }
    if !passed && let Some(path) = &options.compare {
        eprintln!(
            "chlast-run: {} differs from {} beyond tolerance",
            path.display(),
            options.file.display()
        );
    }
    if !expected && let Some(paths) = &options.expect {
        eprintln!(
            "chlast-run: {} differs from the --expect references ({}) beyond tolerance",
            options.file.display(),
            joined(paths)
        );
    }
    Ok(passed && expected)
}

/// The tolerance of `--compare` and `--expect` for `reference`'s element
/// type: `--rtol`/`--atol` where given, the type's defaults otherwise.
fn tolerance_for(options: &Options, reference: &Tensor) -> Tolerance {
    let defaults = Tolerance::default_for(reference.data.element_type());
    Tolerance {
        rtol: options.rtol.unwrap_or(defaults.rtol),
        atol: options.atol.unwrap_or(defaults.atol),
    }
}

/// Prints the worst element beyond tolerance, if any: reference vs actual.
fn print_worst(report: &compare::Report, reference: &Tensor, actual: &Tensor) {
    if let Some(worst) = report.worst {
        println!(
            "  worst element at {:?}: {} vs {}",
            compare::unravel(worst, &reference.shape),
            reference.data.get_f64(worst),
            actual.data.get_f64(worst)
        );
    }
}

fn joined(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Compares `outputs` with the reference `.npy` files of `--expect`, the
/// absolute tolerance scaled to each reference's magnitude; `Ok(false)`
/// when an element differs beyond it.
fn check_expected(
    options: &Options,
    program: &Program,
    outputs: &[Tensor],
    paths: &[PathBuf],
) -> Result<bool, RuntimeError> {
    if paths.len() != outputs.len() {
        return Err(RuntimeError::Npy {
            path: joined(paths),
            message: format!(
                "--expect gives {} reference(s) but @{} has {} result(s)",
                paths.len(),
                program.entry(),
                outputs.len()
            ),
        });
    }
    let mut passed = true;
    for (index, (path, actual)) in paths.iter().zip(outputs).enumerate() {
        let reference = npy::coerce_for(npy::read(path)?, actual.data.element_type());
        if reference.spec() != actual.spec() {
            return Err(RuntimeError::Npy {
                path: path.display().to_string(),
                message: format!(
                    "holds {} but result {index} of @{} is {}",
                    reference.spec(),
                    program.entry(),
                    actual.spec()
                ),
            });
        }
        let tolerance = compare::scaled_to(&reference, tolerance_for(options, &reference));
        let report = compare::compare(&reference, actual, tolerance);
        println!("result{index} vs {}: {report}", path.display());
        print_worst(&report, &reference, actual);
        passed &= report.passed();
    }
    Ok(passed)
}

/// Reads one `.npy` per argument and checks its type against the signature.
fn read_inputs(program: &Program, paths: &[PathBuf]) -> Result<Vec<Tensor>, RuntimeError> {
    let arguments = &program.signature().arguments;
    if paths.len() != arguments.len() {
        return Err(RuntimeError::InputCount {
            function: program.entry().to_string(),
            expected: arguments.len(),
            given: paths.len(),
        });
    }
    paths
        .iter()
        .zip(arguments)
        .enumerate()
        .map(|(index, (path, expected))| {
            let tensor = npy::read(path).map_err(|error| match error {
                RuntimeError::Npy { path, message } => RuntimeError::Npy {
                    path,
                    message: format!(
                        "{message} (input for argument {index} of @{})",
                        program.entry()
                    ),
                },
                other => other,
            })?;
            let tensor = npy::coerce_for(tensor, expected.element);
            if &tensor.spec() != expected {
                return Err(RuntimeError::InputMismatch {
                    function: program.entry().to_string(),
                    index,
                    origin: Some(path.display().to_string()),
                    expected: expected.to_string(),
                    given: format!(
                        "{} (.npy dtype {})",
                        tensor.spec(),
                        npy::descr(tensor.data.element_type())
                    ),
                });
            }
            Ok(tensor)
        })
        .collect()
}

/// Writes `DIR/NAME.ptx` for every PTX module of `lowered`.
fn write_ptx(dir: &Path, lowered: &LoweredCuda) -> Result<(), RuntimeError> {
    let io = |path: &Path| {
        let path = path.display().to_string();
        move |source| RuntimeError::Io { path, source }
    };
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    for module in lowered.ptx_modules() {
        let path = dir.join(format!("{}.ptx", module.name));
        std::fs::write(&path, &module.text).map_err(io(&path))?;
    }
    Ok(())
}

/// `tensor<2x3xf32> min -0.5 max 0.75 mean 0.01`
fn summary(tensor: &Tensor) -> String {
    let n = tensor.len();
    if n == 0 {
        return format!("{} (empty)", tensor.spec());
    }
    let values = (0..n).map(|i| tensor.data.get_f64(i));
    let (min, max, sum) = values.fold((f64::INFINITY, f64::NEG_INFINITY, 0.0), |(lo, hi, s), v| {
        (lo.min(v), hi.max(v), s + v)
    });
    format!(
        "{} min {min:.6} max {max:.6} mean {:.6}",
        tensor.spec(),
        sum / n as f64
    )
}

/// One line on how the CPU target's convolutions ran.
fn print_onednn_stats(prefix: &str, stats: &runtime::onednn::Stats) {
    if stats.calls + stats.reference_calls == 0 {
        return;
    }
    let implementations: Vec<String> = stats
        .implementations
        .iter()
        .map(|(name, calls)| format!("{name} x{calls}"))
        .collect();
    println!(
        "{prefix}convolutions on oneDNN: {} ({} with x/y reordered; {}), on the CPU reference: {}",
        stats.calls,
        stats.reordered_calls,
        implementations.join(", "),
        stats.reference_calls,
    );
}

/// The slowest ops shown by `--profile-ops`.
const PROFILE_TOP: usize = 15;

/// `--profile-ops`: time per kind of op, then the slowest ops, in ms per
/// run.
fn print_op_profile(profile: &runtime::profile::OpProfile, runs: usize) {
    let per_run = |d: std::time::Duration| d.as_secs_f64() * 1e3 / runs.max(1) as f64;
    let total: f64 = profile.ops.iter().map(|op| per_run(op.total)).sum();
    println!(
        "ops (ms per run over {runs} runs, {total:.3} in {} ops):",
        profile.ops.len()
    );
    for (kind, time, count) in profile.by_kind() {
        println!("  {:>8.3}  {kind} x{count}", per_run(time));
    }
    let mut slowest: Vec<_> = profile.ops.iter().collect();
    slowest.sort_by_key(|op| std::cmp::Reverse(op.total));
    println!("slowest ops:");
    for op in slowest.into_iter().take(PROFILE_TOP) {
        println!("  {:>8.3}  {}", per_run(op.total), op.label);
    }
}

/// The CUDA graph line: replays of the whole run, or why there are none;
/// false when a replay's outputs differ from a plain run's.
fn print_graph_timings(graph: &GraphTimings) -> bool {
    match graph {
        GraphTimings::Replayed { timings, check } => {
            let worst = check.iter().map(|r| r.max_abs_error).fold(0.0f64, f64::max);
            let verdict = if check.iter().all(|r| r.passed()) {
                "PASS"
            } else {
                "FAIL"
            };
            println!(
                "CUDA graph: {timings} (the run captured once, replayed; replay vs plain run: max abs error {worst:.3e}, {verdict})"
            );
            verdict == "PASS"
        }
        GraphTimings::NotCaptured(reason) => {
            println!("CUDA graph: not captured: {reason}");
            true
        }
    }
}

/// Where a timed run's time went: oneDNN convolutions, the reorders
/// around them, and everything else (compiled code), as means over the
/// warm-up and timed runs (`runs` of them).
fn print_profile(
    timings: &Timings,
    before: &runtime::onednn::Stats,
    after: &runtime::onednn::Stats,
    runs: usize,
) {
    let per_run = |d: std::time::Duration| d.as_secs_f64() * 1e3 / runs.max(1) as f64;
    let conv = per_run(after.conv_time.saturating_sub(before.conv_time));
    let reorder = per_run(after.reorder_time.saturating_sub(before.reorder_time));
    let total = timings.runs.iter().map(|d| d.as_secs_f64()).sum::<f64>() * 1e3
        / timings.runs.len().max(1) as f64;
    println!(
        "profile (mean ms per run): total {total:.3} = convolutions {conv:.3} + reorders {reorder:.3} + rest {:.3}",
        (total - conv - reorder).max(0.0)
    );
}
