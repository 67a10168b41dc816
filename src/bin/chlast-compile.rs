//! `chlast-compile`: compiles a function of an MLIR file ahead of time into
//! an object file for the host CPU, with PTX kernels inside for `--target
//! cuda` (see `chlast::aot`).
//!
//! ```text
//! chlast-compile FILE.mlir -o model.o [--header model.h] [--emit-llvm model.ll]
//!                [--target cpu|cpu-reference|cuda] [--chip sm_XX] [--passes PIPELINE]
//!                [--entry NAME] [--opt-level L]
//! ```
//!
//! Errors print `chlast-compile: ...` and exit with status 1, leaving no
//! partial output file.

use chlast::{
    aot::{self, Outputs},
    runtime::{
        self, Target,
        cpu::{CompileOptions, Convs},
        cuda_program::CudaOptions,
    },
};
use std::{path::PathBuf, process::ExitCode};

const USAGE: &str = "\
usage: chlast-compile FILE.mlir -o OUT.o [options]

Compiles a function of FILE ahead of time: lowered as chlast-run lowers it
for the target, translated to LLVM IR, optimized by LLVM (inkwell) for this
machine's CPU and written as an object file defining _mlir_ciface_ENTRY
(MLIR's C interface: a memref descriptor pointer per argument, then one per
result, allocated by the caller; device memory for --target cuda).

options:
  -o OUT.o              the object file to write (required)
  --header OUT.h        also write a C header declaring the entry point and
                        its memref descriptor structs
  --emit-llvm OUT.ll    also write the optimized LLVM IR
  --target T            cpu (default): chlast-run's CPU target, vectorized
                        and threaded; the object calls chlast_cudnn_conv for
                        every convolution and LLVM's OpenMP runtime (libomp),
                        so it links with a runtime providing them;
                        cpu-reference: everything (convolutions too) as
                        loops; the object needs only libm (and, when it
                        copies strided views, libmlir_c_runner_utils);
                        cuda: the CUDA target (PTX kernels inside the
                        object, cuDNN convolutions); links with
                        libchlast_cuda_runtime.so, buffers on the device
  --chip sm_XX          GPU architecture for --target cuda (default sm_80)
  --passes PIPELINE     run these passes on FILE first, e.g. conv-channels-last
  --entry NAME          function to compile (default: the only public func.func)
  --opt-level L         LLVM optimization level, 0-3 (default 2)
  -h, --help            print this help
  --version             print the version
";

#[derive(Debug, Default)]
struct Options {
    file: PathBuf,
    object: PathBuf,
    header: Option<PathBuf>,
    llvm_ir: Option<PathBuf>,
    target: Target,
    chip: Option<String>,
    passes: Option<String>,
    entry: Option<String>,
    opt_level: Option<u32>,
}

enum Command {
    Compile(Box<Options>),
    Help,
    Version,
}

fn parse_args(args: &[String]) -> Result<Command, String> {
    let mut options = Options::default();
    let (mut file, mut object) = (None, None);
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => (flag, Some(value.to_string())),
            _ => (arg.as_str(), None),
        };
        let mut value = |name: &str| {
            inline
                .clone()
                .or_else(|| iter.next().cloned())
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match flag {
            "-h" | "--help" => return Ok(Command::Help),
            "--version" => return Ok(Command::Version),
            "-o" => object = Some(PathBuf::from(value(flag)?)),
            "--header" => options.header = Some(PathBuf::from(value(flag)?)),
            "--emit-llvm" => options.llvm_ir = Some(PathBuf::from(value(flag)?)),
            "--passes" => options.passes = Some(value(flag)?),
            "--entry" => options.entry = Some(value(flag)?.trim_start_matches('@').to_string()),
            "--target" => {
                options.target = Target::parse(
                    flag,
                    &value(flag)?,
                    &[Target::Cpu, Target::CpuReference, Target::Cuda],
                )?
            }
            "--chip" => options.chip = Some(value(flag)?),
            "--opt-level" | "-O" => {
                let level: u32 = value(flag)?
                    .parse()
                    .map_err(|_| "--opt-level must be 0, 1, 2 or 3".to_string())?;
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
    options.file = file.ok_or("no input file (usage: chlast-compile FILE.mlir -o OUT.o)")?;
    options.object = object.ok_or("no output file: -o OUT.o is required")?;
    if options.chip.is_some() && options.target != Target::Cuda {
        return Err("--chip only applies to --target cuda".into());
    }
    Ok(Command::Compile(Box::new(options)))
}

fn compile(options: &Options) -> Result<(), String> {
    let context = runtime::create_context();
    let mut module =
        runtime::cpu::parse_file(&context, &options.file).map_err(|e| e.to_string())?;
    if let Some(pipeline) = &options.passes {
        runtime::lowering::run_pipeline(&context, &mut module, pipeline)
            .map_err(|e| e.to_string())?;
    }
    let opt_level = options
        .opt_level
        .unwrap_or(CompileOptions::default().opt_level);
    let source = options.file.display().to_string();
    let outputs = Outputs {
        object: &options.object,
        header: options.header.as_deref(),
        llvm_ir: options.llvm_ir.as_deref(),
    };
    let compiled = match options.target {
        Target::Cuda => {
            let cuda_options = CudaOptions {
                entry: options.entry.clone(),
                chip: options
                    .chip
                    .clone()
                    .unwrap_or_else(|| CudaOptions::default().chip),
                ..Default::default()
            };
            aot::compile_cuda(
                &context,
                &module,
                &source,
                &cuda_options,
                opt_level,
                outputs,
            )
        }
        target => {
            let compile_options = CompileOptions {
                entry: options.entry.clone(),
                opt_level,
                convs: if target == Target::CpuReference {
                    Convs::Loops
                } else {
                    Convs::OneDnn
                },
                ..Default::default()
            };
            aot::compile(&context, &module, &source, &compile_options, outputs)
        }
    }
    .map_err(|e| e.to_string())?;
    println!(
        "{}: _mlir_ciface_{} {}",
        options.object.display(),
        compiled.entry,
        compiled.signature
    );
    if !compiled.external_functions.is_empty() {
        println!(
            "external functions: {}",
            compiled.external_functions.join(", ")
        );
    }
    let calls = |name: &str| compiled.external_functions.iter().any(|f| f == name);
    let mut link = Vec::new();
    if options.target == Target::Cuda {
        link.push("-lchlast_cuda_runtime (libchlast_cuda_runtime.so: make runtime)");
    } else if calls("chlast_cudnn_conv") {
        link.push("-lchlast_cpu_runtime (libchlast_cpu_runtime.so: make runtime)");
    }
    if compiled
        .external_functions
        .iter()
        .any(|f| f.starts_with("__kmpc"))
    {
        link.push(concat!(
            "-lomp (LLVM's OpenMP runtime, ",
            env!("MLIR_SYS_220_PREFIX"),
            "/lib)"
        ));
    }
    if calls("memrefCopy") {
        link.push(concat!(
            "-lmlir_c_runner_utils (",
            env!("MLIR_SYS_220_PREFIX"),
            "/lib)"
        ));
    }
    if !link.is_empty() {
        println!("link with: {}", link.join(", "));
    }
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let options = match parse_args(&args) {
        Ok(Command::Compile(options)) => options,
        Ok(Command::Help) => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Ok(Command::Version) => {
            println!("chlast-compile {}", chlast::VERSION);
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("chlast-compile: {message}");
            eprintln!("(run chlast-compile --help for usage)");
            return ExitCode::FAILURE;
        }
    };
    chlast::run_on_large_stack("chlast-compile", move || match compile(&options) {
        Ok(()) => 0,
        Err(message) => {
            eprintln!("chlast-compile: {message}");
            1
        }
    })
}
