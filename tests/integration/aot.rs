//! `chlast-compile` end to end: example models compiled ahead of time into
//! objects, linked with `cc` into a C program that reads the inputs from a
//! file, calls the entry point and writes the results; its results must
//! equal `chlast-run`'s (the JIT of the same lowering) on the same inputs.

use chlast::runtime::{
    self,
    compare::{self, Tolerance},
    cpu::{CompileOptions, Convs, CpuProgram},
    entry::Signature,
    random,
    tensor::{Tensor, TensorData},
};
use std::{fs, path::Path, path::PathBuf, process::Command};

/// Which runtime library a compiled object is linked with.
#[derive(Clone, Copy, PartialEq)]
enum Runtime {
    /// None (`--target cpu-reference`).
    None,
    /// `libchlast_cpu_runtime.so` (`--target cpu`).
    Cpu,
    /// `libchlast_cuda_runtime.so` (`--target cuda`): buffers on the device.
    Cuda,
}

/// A C `main` for `entry`: reads every argument's bytes, in order, from
/// argv[1], calls `_mlir_ciface_ENTRY` and writes every result's bytes, in
/// order, to argv[2]. Uses the types of chlast-compile's header. With the
/// CPU runtime, checks `chlast_runtime_error` after the call (its
/// convolutions cannot return errors themselves); with the CUDA runtime,
/// the buffers are device memory, the inputs copied in and the results out,
/// and `chlast_cuda_synchronize` reports a failed call.
fn c_driver(entry: &str, signature: &Signature, header: &str, runtime: Runtime) -> String {
    let include = match runtime {
        Runtime::None => "",
        Runtime::Cpu => "#include \"chlast_cpu_runtime.h\"\n",
        Runtime::Cuda => "#include \"chlast_cuda_runtime.h\"\n",
    };
    let mut text = format!(
        "#include <stdio.h>\n#include <stdlib.h>\n#include \"{header}\"\n{include}\n\
         int main(int argc, char **argv) {{\n  if (argc != 3) return 2;\n  \
         FILE *in = fopen(argv[1], \"rb\");\n  if (!in) return 3;\n  char error[512];\n"
    );
    let fail = |code: u32, get_error: &str| {
        format!(
            "{{\n    {get_error}(error, sizeof error);\n    fprintf(stderr, \"%s\\n\", error);\n    return {code};\n  }}\n"
        )
    };
    let mut call = Vec::new();
    let all: Vec<_> = signature
        .arguments
        .iter()
        .map(|s| ("arg", s))
        .chain(signature.results.iter().map(|s| ("result", s)))
        .collect();
    let mut counts = [0usize; 2];
    for (kind, spec) in &all {
        let index = if *kind == "arg" { 0 } else { 1 };
        let name = format!("{kind}{}", counts[index]);
        counts[index] += 1;
        let rank = spec.shape.len();
        let ty = format!("chlast_memref_{}_{rank}d", spec.element);
        let bytes = spec.len() * spec.element.size_bytes();
        // `host_NAME` holds the bytes on the host; the descriptor points at
        // them, or at a device copy with the CUDA runtime.
        let buffer = if runtime == Runtime::Cuda {
            format!("chlast_cuda_alloc({bytes})")
        } else {
            format!("host_{name}")
        };
        text += &format!(
            "  void *host_{name} = malloc({bytes});\n  {ty} {name};\n  \
             {name}.allocated = {name}.aligned = {buffer};\n  {name}.offset = 0;\n"
        );
        let strides = runtime::memref::row_major_strides(&spec.shape);
        for (d, (&size, &stride)) in spec.shape.iter().zip(&strides).enumerate() {
            text += &format!("  {name}.sizes[{d}] = {size};\n  {name}.strides[{d}] = {stride};\n");
        }
        if *kind == "arg" {
            text += &format!("  if (fread(host_{name}, 1, {bytes}, in) != {bytes}) return 4;\n");
            if runtime == Runtime::Cuda {
                text += &format!(
                    "  if (!{name}.aligned || chlast_cuda_copy_to_device({name}.aligned, host_{name}, {bytes})) {}",
                    fail(7, "chlast_cuda_error")
                );
            }
        }
        call.push(format!("&{name}"));
    }
    text += &format!(
        "  fclose(in);\n  _mlir_ciface_{entry}({});\n",
        call.join(", ")
    );
    match runtime {
        Runtime::None => {}
        Runtime::Cpu => {
            text += &format!(
                "  if (chlast_runtime_error(error, sizeof error)) {}",
                fail(6, "chlast_runtime_error")
            )
        }
        Runtime::Cuda => {
            for (i, spec) in signature.results.iter().enumerate() {
                let bytes = spec.len() * spec.element.size_bytes();
                text += &format!(
                    "  chlast_cuda_copy_to_host(host_result{i}, result{i}.aligned, {bytes});\n"
                );
            }
            text += &format!(
                "  if (chlast_cuda_synchronize()) {}",
                fail(6, "chlast_cuda_error")
            );
            for (kind, count) in [("arg", counts[0]), ("result", counts[1])] {
                for i in 0..count {
                    text += &format!("  chlast_cuda_free({kind}{i}.aligned);\n");
                }
            }
        }
    }
    text += "  FILE *out = fopen(argv[2], \"wb\");\n  if (!out) return 5;\n";
    for (i, spec) in signature.results.iter().enumerate() {
        let bytes = spec.len() * spec.element.size_bytes();
        text += &format!("  fwrite(host_result{i}, 1, {bytes}, out);\n");
    }
    text += "  fclose(out);\n  return 0;\n}\n";
    text
}

/// A runtime library (`libNAME.so`), built by `make runtime` (which
/// `make test` runs before the tests) next to the test binary's profile
/// directory.
fn runtime_library(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let profile = exe.parent().and_then(Path::parent).unwrap();
    let library = profile.join(format!("lib{name}.so"));
    assert!(
        library.exists(),
        "{} is missing: build it with `make runtime` (make test does)",
        library.display()
    );
    library
}

/// Compiles `model` with chlast-compile (`--target target`, then `extra`
/// flags), links it with the C driver for `entry` (of `signature`) and, for
/// `--target cpu`, the CPU runtime library and libomp, for `--target cuda`
/// the CUDA runtime library, and returns the program's results on `inputs`
/// (run with `env` added to its environment).
#[allow(clippy::too_many_arguments)]
fn run_compiled(
    model: &Path,
    target: &str,
    extra: &[&str],
    dir: &Path,
    entry: &str,
    signature: &Signature,
    inputs: &[Tensor],
    env: &[(&str, &Path)],
) -> Vec<Vec<u8>> {
    let object = dir.join("model.o");
    let header = dir.join("model.h");
    let output = Command::new(env!("CARGO_BIN_EXE_chlast-compile"))
        .arg(model)
        .args(["--target", target])
        .args(extra)
        .arg("-o")
        .arg(&object)
        .arg("--header")
        .arg(&header)
        .output()
        .expect("cannot run chlast-compile");
    assert!(
        output.status.success(),
        "chlast-compile {}: {}",
        model.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout).to_string();

    let driver = dir.join("main.c");
    let runtime = match target {
        "cpu" => Runtime::Cpu,
        "cuda" => Runtime::Cuda,
        _ => Runtime::None,
    };
    fs::write(&driver, c_driver(entry, signature, "model.h", runtime)).unwrap();
    let program = dir.join("model");
    let mut cc = Command::new("cc");
    cc.arg("-O1")
        .arg(&driver)
        .arg(&object)
        .arg("-o")
        .arg(&program)
        .arg("-lm");
    if runtime != Runtime::None {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let (name, dir) = match runtime {
            Runtime::Cuda => ("chlast_cuda_runtime", "cuda-runtime"),
            _ => ("chlast_cpu_runtime", "cpu-runtime"),
        };
        let library = runtime_library(name);
        let library_dir = library.parent().unwrap();
        cc.arg(format!("-I{}", root.join(dir).display()))
            .arg(format!("-L{}", library_dir.display()))
            .arg(format!("-l{name}"))
            .arg(format!("-Wl,-rpath,{}", library_dir.display()));
    }
    if runtime == Runtime::Cpu {
        cc.args([
            &format!("-L{}/lib", chlast::LLVM_PREFIX),
            "-lomp",
            &format!("-Wl,-rpath,{}/lib", chlast::LLVM_PREFIX),
        ]);
    }
    if stdout.contains("memrefCopy") {
        let utils = Path::new(runtime::cpu::RUNNER_UTILS);
        cc.arg(utils)
            .arg(format!("-Wl,-rpath,{}", utils.parent().unwrap().display()));
    }
    let linked = cc.output().expect("cannot run cc");
    assert!(
        linked.status.success(),
        "cc: {}",
        String::from_utf8_lossy(&linked.stderr)
    );

    let input_file = dir.join("inputs.bin");
    let bytes: Vec<u8> = inputs.iter().flat_map(|t| t.data.to_le_bytes()).collect();
    fs::write(&input_file, bytes).unwrap();
    let output_file = dir.join("outputs.bin");
    let ran = Command::new(&program)
        .arg(&input_file)
        .arg(&output_file)
        .envs(env.iter().copied())
        .output()
        .expect("cannot run the compiled program");
    assert!(
        ran.status.success(),
        "{}: exit status {}: {}",
        program.display(),
        ran.status,
        String::from_utf8_lossy(&ran.stderr)
    );
    let data = fs::read(&output_file).unwrap();
    let mut results = Vec::new();
    let mut at = 0;
    for spec in &signature.results {
        let n = spec.len() * spec.element.size_bytes();
        results.push(data[at..at + n].to_vec());
        at += n;
    }
    results
}

/// Compiles example model `name` for `target` (with each set of `extra`
/// flags in turn), runs it linked into a C program, and asserts its results
/// equal chlast-run's JIT with `convs` on the same random inputs (`seed`).
fn compiled_equals_jit(
    dir: &Path,
    name: &str,
    convs: Convs,
    seed: u64,
    target: &str,
    extras: &[&[&str]],
) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let model = root.join(format!("examples/models/{name}.mlir"));
    let context = runtime::create_context();
    let options = CompileOptions {
        convs,
        ..Default::default()
    };
    let module = runtime::cpu::parse_file(&context, &model).expect("parses");
    let jit = CpuProgram::from_module(&context, &module, name, &options).expect("compiles");
    let signature = jit.signature();
    let inputs = random::random_inputs(seed, &signature.arguments);
    let expected = jit.run(&inputs).expect("runs");
    for extra in extras {
        let results = run_compiled(
            &model,
            target,
            extra,
            dir,
            jit.entry(),
            signature,
            &inputs,
            &[],
        );
        assert_eq!(results.len(), expected.len());
        for ((bytes, reference), spec) in results.iter().zip(&expected).zip(&signature.results) {
            let actual = Tensor {
                shape: spec.shape.clone(),
                data: TensorData::from_le_bytes(spec.element, bytes).expect("result bytes"),
            };
            let report = compare::compare(reference, &actual, Tolerance::default_for(spec.element));
            assert!(
                report.passed(),
                "{name} {extra:?}: compiled vs chlast-run: {report}"
            );
        }
    }
}

#[test]
fn compiled_models_equal_chlast_run() {
    let dir = std::env::temp_dir().join(format!("chlast-aot-{}", std::process::id()));
    fs::create_dir_all(&dir).unwrap();
    for name in ["unet_block2d", "vae_decoder3d"] {
        compiled_equals_jit(&dir, name, Convs::Loops, 3, "cpu-reference", &[&[]]);
    }
    let _ = fs::remove_dir_all(&dir);
}

/// `--target cpu` objects linked with `libchlast_cpu_runtime.so` (oneDNN
/// convolutions) and libomp run outside chlast-run and equal chlast-run's
/// `--target cpu` JIT, as imported and after `--conv-channels-last`.
#[test]
fn cpu_target_objects_run_with_the_runtime_library() {
    let dir = std::env::temp_dir().join(format!("chlast-aot-rt-{}", std::process::id()));
    fs::create_dir_all(&dir).unwrap();
    for name in ["resnet_chain2d", "vae_decoder3d"] {
        let extras: &[&[&str]] = &[&[], &["--passes", "conv-channels-last"]];
        compiled_equals_jit(&dir, name, Convs::OneDnn, 5, "cpu", extras);
    }
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn cpu_target_objects_call_the_convolution_runtime() {
    // `--target cpu` objects are chlast-run's CPU pipeline: convolutions
    // become calls to chlast_cudnn_conv (oneDNN in chlast-run), large loops
    // OpenMP calls; the object leaves both to the link.
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let dir = std::env::temp_dir().join(format!("chlast-aot-cpu-{}", std::process::id()));
    fs::create_dir_all(&dir).unwrap();
    let object = dir.join("model.o");
    let output = Command::new(env!("CARGO_BIN_EXE_chlast-compile"))
        .arg(root.join("examples/models/resnet_chain2d.mlir"))
        .args(["--passes", "conv-channels-last", "-o"])
        .arg(&object)
        .output()
        .expect("cannot run chlast-compile");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("chlast_cudnn_conv"), "{stdout}");
    let nm = Command::new(format!("{}/bin/llvm-nm", chlast::LLVM_PREFIX))
        .arg(&object)
        .output()
        .expect("cannot run llvm-nm");
    let symbols = String::from_utf8_lossy(&nm.stdout);
    assert!(symbols.contains("U chlast_cudnn_conv"), "{symbols}");
    assert!(symbols.contains("T _mlir_ciface_"), "{symbols}");
    let _ = fs::remove_dir_all(&dir);
}

/// `--target cuda` objects hold their PTX and link with
/// `libchlast_cuda_runtime.so`: a C program allocates device buffers,
/// copies the input in, calls the entry point, synchronizes and copies the
/// results out. Without a GPU it runs on the mock driver
/// (tests/mock-cuda/libcuda.c), which runs no kernel (the outputs are not
/// checked) but checks the protocol: the constructors load the PTX and
/// upload the constant before the first launch, every kernel is launched
/// once, nothing is leaked, no misuse.
#[test]
fn cuda_target_objects_run_with_the_runtime_library() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let dir = std::env::temp_dir().join(format!("chlast-aot-cuda-{}", std::process::id()));
    fs::create_dir_all(&dir).unwrap();
    let driver = crate::cuda::mock_driver(&dir.join("mock"));
    let model = root.join("tests/mock-cuda/norm.mlir");
    let context = runtime::create_context();
    let module = runtime::cpu::parse_file(&context, &model).expect("parses");
    let jit = CpuProgram::from_module(&context, &module, "norm", &CompileOptions::default())
        .expect("compiles");
    let inputs = random::random_inputs(1, &jit.signature().arguments);
    let log = dir.join("mock.log");
    let results = run_compiled(
        &model,
        "cuda",
        &["--chip", "sm_90"],
        &dir,
        jit.entry(),
        jit.signature(),
        &inputs,
        &[("LD_LIBRARY_PATH", &driver), ("MOCK_CUDA_LOG", &log)],
    );
    assert_eq!(results.len(), 2);
    let counts: std::collections::HashMap<String, String> = fs::read_to_string(&log)
        .expect("the mock driver's log")
        .lines()
        .filter_map(|l| l.split_once(' '))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    println!("{counts:?}");
    assert_eq!(counts["errors"], "0", "{counts:?}");
    assert_eq!(counts["uploads_at_load"], "1", "{counts:?}");
    assert_eq!(counts["free_sync"], "1", "the constant is freed at exit");
    assert_eq!(counts["launches"], "7", "{counts:?}");
    assert_eq!(counts["copies_in"], "1");
    assert_eq!(counts["copies_out"], "2");
    assert_eq!(counts["live_allocs"], "0");
    assert_eq!(
        (
            counts["managed"].as_str(),
            counts["host_registers"].as_str()
        ),
        ("0", "0")
    );
    let _ = fs::remove_dir_all(&dir);
}
