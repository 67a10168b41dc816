//! The CUDA target, checked without a GPU as far as it can be: every PTX
//! module of the example models and the shared fixture assembles with
//! `ptxas` for sm_80 and sm_90; every cuDNN conv gets its descriptors built
//! by the runtime's own code against the real `libcudnn.so.9`, and cuDNN's
//! output shape equals MLIR's; the statistics show conversions only at the
//! network boundary once `--conv-channels-last` ran; the runtime's use of
//! the driver (one stream, device memory, constants uploaded once at load,
//! no wait per launch) is checked against a mock `libcuda.so.1`
//! (tests/mock-cuda/). Execution on a GPU is compared with the CPU and
//! skipped, with the reason printed, when there is no GPU.
//!
//! `ptxas` and `libcudnn.so.9` come from PyPI (`make deps`, see
//! scripts/deps.sh); these tests fail, not skip, when they are missing.

use chlast::passes::{ConvChannelsLastOptions, Strategy};
use chlast::runtime::{
    self,
    compare::{self, Tolerance},
    cpu::{CompileOptions, CpuProgram},
    cuda::{self, ConvSpec, CudaRuntime, cudnn::ConvDescriptors},
    cuda_program::{CudaOptions, CudaProgram, LoweredCuda},
    random,
};
use melior::{Context, ir::Module, pass::PassManager};
use std::{
    path::{Path, PathBuf},
    process::Command,
};

/// The example models, the small example and the shared fixture.
fn models() -> Vec<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut files = crate::mlir_files(&root.join("examples/models"));
    files.push(root.join("examples/vae_resblock3d.mlir"));
    files.push(root.join("examples/imported/vae_decoder_block2d.torch-mlir.mlir"));
    files
}

/// The program as imported, after `--conv-channels-last`, or after the
/// seed's approach (`strategy=per-conv`: conversions around every conv).
#[derive(Clone, Copy, Debug, PartialEq)]
enum Variant {
    Original,
    ChannelsLast,
    PerConv,
}

fn parse<'c>(context: &'c Context, path: &Path, variant: Variant) -> Module<'c> {
    let mut module = runtime::cpu::parse_file(context, path).expect("model parses");
    let strategy = match variant {
        Variant::Original => return module,
        Variant::ChannelsLast => Strategy::MinCut,
        Variant::PerConv => Strategy::PerConv,
    };
    let options = ConvChannelsLastOptions {
        strategy,
        ..Default::default()
    };
    let pm = PassManager::new(context);
    pm.add_pass(chlast::passes::conv_channels_last(&options).unwrap());
    pm.run(&mut module).expect("conv-channels-last runs");
    module
}

fn lower<'c>(
    context: &'c Context,
    path: &Path,
    variant: Variant,
    options: &CudaOptions,
) -> LoweredCuda<'c> {
    let module = parse(context, path, variant);
    LoweredCuda::lower(context, &module, &path.display().to_string(), options)
        .unwrap_or_else(|e| panic!("{} ({variant:?}) lowers to CUDA: {e}", path.display()))
}

fn ptxas() -> PathBuf {
    let path = std::env::var_os("CHLAST_PTXAS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/opt/chlast-cuda/nvidia/cuda_nvcc/bin/ptxas"));
    assert!(
        path.exists(),
        "ptxas not found at {}: run `make deps` (installs nvidia-cuda-nvcc-cu12 from PyPI) or set CHLAST_PTXAS",
        path.display()
    );
    path
}

#[test]
fn every_ptx_module_assembles_for_sm80_and_sm90() {
    let ptxas = ptxas();
    let scratch = std::env::temp_dir().join(format!("chlast-ptx-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).unwrap();
    let context = runtime::create_context();
    let (mut assembled, mut kernels) = (0, 0);
    let mut failures = Vec::new();
    for path in models() {
        for variant in [Variant::Original, Variant::ChannelsLast] {
            for chip in ["sm_80", "sm_90"] {
                let options = CudaOptions {
                    chip: chip.to_string(),
                    ..Default::default()
                };
                let lowered = lower(&context, &path, variant, &options);
                let modules = lowered.ptx_modules();
                assert!(!modules.is_empty(), "{}: no PTX", path.display());
                let mut jobs = Vec::new();
                for (i, module) in modules.iter().enumerate() {
                    assert!(
                        module.text.contains(&format!(".target {chip}")),
                        "{}: PTX not for {chip}",
                        module.name
                    );
                    kernels += module.text.matches(".entry").count();
                    let file = scratch.join(format!("k{i}.ptx"));
                    std::fs::write(&file, &module.text).unwrap();
                    let child = Command::new(&ptxas)
                        .arg(format!("-arch={chip}"))
                        .arg(&file)
                        .arg("-o")
                        .arg(file.with_extension("cubin"))
                        .stderr(std::process::Stdio::piped())
                        .spawn()
                        .expect("ptxas starts");
                    jobs.push((module.name.clone(), child));
                }
                for (name, child) in jobs {
                    let output = child.wait_with_output().unwrap();
                    if output.status.success() {
                        assembled += 1;
                    } else {
                        failures.push(format!(
                            "{} ({variant:?}, {chip}) {name}: {}",
                            path.display(),
                            String::from_utf8_lossy(&output.stderr)
                        ));
                    }
                }
            }
        }
    }
    std::fs::remove_dir_all(&scratch).ok();
    println!(
        "ptxas: {assembled} PTX modules ({kernels} kernels) assembled, {} failed",
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "ptxas failures:\n{}",
        failures.join("\n")
    );
    assert!(
        assembled >= 24 && kernels > 100,
        "only {assembled} modules ({kernels} kernels) assembled"
    );
}

#[test]
fn every_conv_has_valid_cudnn_descriptors_with_mlir_shapes() {
    if let Err(error) = cuda::cudnn::load_cudnn() {
        panic!(
            "{error}: run the tests through `make test` (it points LD_LIBRARY_PATH at the \
             cuDNN wheel installed by `make deps`)"
        );
    }
    let context = runtime::create_context();
    let (mut checked, mut padded, mut fused) = (0, 0, 0);
    for path in models() {
        for variant in [Variant::Original, Variant::ChannelsLast] {
            let lowered = lower(&context, &path, variant, &CudaOptions::default());
            let sites = lowered.conv_sites();
            assert!(!sites.is_empty(), "{}: no cuDNN call", path.display());
            for site in sites {
                let what = format!("{} ({variant:?}) {}", path.display(), site.name);
                let spec = ConvSpec::decode(&site.spec)
                    .unwrap_or_else(|e| panic!("{what}: spec does not decode: {e}"));
                assert_eq!(
                    spec.is_channels_last(),
                    variant == Variant::ChannelsLast,
                    "{what}: layout"
                );
                let descriptors = ConvDescriptors::new(&spec)
                    .unwrap_or_else(|e| panic!("{what}: cuDNN rejects the descriptors: {e}"));
                let dims = descriptors
                    .output_dims()
                    .unwrap_or_else(|e| panic!("{what}: {e}"));
                let rank = site.spec[2] as usize + 2;
                assert_eq!(
                    dims,
                    site.spec[21..21 + rank].to_vec(),
                    "{what}: output dims"
                );
                checked += 1;
                padded += usize::from(spec.pads.iter().any(|&p| p > 0));
                fused += usize::from(spec.is_fused());
            }
        }
    }
    println!(
        "cuDNN: {checked} convolutions' descriptors built and checked, {padded} with folded \
         padding, {fused} with a fused ReLU/residual epilogue (activation descriptor built)"
    );
    assert!(checked >= 60, "only {checked} convolutions checked");
    assert!(
        padded >= 20,
        "only {padded} convolutions with cuDNN padding"
    );
    assert!(
        fused >= 14,
        "only {fused} convolutions with a fused epilogue"
    );
}

/// The integer `key` of the JSON object the statistics pass writes.
pub(crate) fn stat(json: &str, key: &str) -> i64 {
    let value: serde_json::Value =
        serde_json::from_str(json).unwrap_or_else(|e| panic!("not JSON ({e}): {json}"));
    value[key]
        .as_i64()
        .unwrap_or_else(|| panic!("{key} missing in {json}"))
}

#[test]
fn statistics_show_conversions_only_at_the_boundary() {
    let context = runtime::create_context();
    let scratch = std::env::temp_dir().join(format!("chlast-cuda-stats-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).unwrap();
    let file = scratch.join("stats.json");
    for path in models() {
        let mut stats = Vec::new();
        for variant in [Variant::Original, Variant::ChannelsLast, Variant::PerConv] {
            let options = CudaOptions {
                stats: Some(file.display().to_string()),
                ..Default::default()
            };
            let lowered = lower(&context, &path, variant, &options);
            let json = std::fs::read_to_string(&file).unwrap();
            println!("{} {variant:?}: {}", path.display(), json.trim());
            assert_eq!(
                stat(&json, "cudnn_calls") as usize,
                lowered.conv_sites().len(),
                "{json}"
            );
            assert_eq!(
                stat(&json, "kernel_launches"),
                stat(&json, "linalg_kernels")
            );
            // Everything runs on the GPU: no linalg op is left without a grid.
            assert_eq!(stat(&json, "host_loop_ops"), 0, "{json}");
            stats.push(json);
        }
        let (original, channels_last, per_conv) = (&stats[0], &stats[1], &stats[2]);
        let name = path.display();
        assert_eq!(
            stat(original, "cudnn_channels_first_calls"),
            stat(original, "cudnn_calls"),
            "{name}"
        );
        assert!(
            stat(original, "modelled_hidden_conversion_bytes") > 0,
            "{name}"
        );
        assert_eq!(stat(original, "layout_conversion_kernels"), 0, "{name}");
        assert_eq!(
            stat(channels_last, "cudnn_channels_first_calls"),
            0,
            "{name}"
        );
        assert_eq!(
            stat(channels_last, "modelled_hidden_conversion_bytes"),
            0,
            "{name}"
        );
        assert_eq!(
            stat(channels_last, "interior_layout_conversion_kernels"),
            0,
            "{name}"
        );
        assert!(
            stat(channels_last, "layout_conversion_kernels") <= 2,
            "{name}"
        );
        assert!(
            stat(channels_last, "layout_conversion_bytes")
                < stat(original, "modelled_hidden_conversion_bytes"),
            "{name}"
        );
        // The seed's conversions around every conv stay cuDNN-friendly (the
        // fusion does not fold them into the convs) but cost kernels.
        assert_eq!(stat(per_conv, "cudnn_channels_first_calls"), 0, "{name}");
        assert!(
            stat(per_conv, "layout_conversion_kernels")
                > stat(channels_last, "layout_conversion_kernels"),
            "{name}"
        );
    }
    std::fs::remove_dir_all(&scratch).ok();
}

/// The host code JIT-compiles and every external function it calls
/// resolves to an entry point of the runtime (no GPU needed).
#[test]
fn host_code_links_against_the_runtime() {
    let context = runtime::create_context();
    for path in models() {
        let lowered = lower(
            &context,
            &path,
            Variant::ChannelsLast,
            &CudaOptions::default(),
        );
        lowered
            .check_host_link(0)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }
}

#[test]
fn without_a_gpu_running_fails_with_a_clear_message() {
    let context = runtime::create_context();
    let path = &models()[0];
    let lowered = lower(
        &context,
        path,
        Variant::ChannelsLast,
        &CudaOptions::default(),
    );
    match CudaProgram::new(lowered, 0) {
        Ok(program) => println!(
            "a GPU is present ({}): nothing to check",
            program.device_name()
        ),
        Err(error) => {
            let message = error.to_string();
            println!("no GPU, as expected here: {message}");
            assert!(
                message.contains("CUDA") || message.contains("cuDNN"),
                "unclear error: {message}"
            );
        }
    }
}

#[test]
fn gpu_results_match_the_cpu() {
    if let Err(reason) = CudaRuntime::open() {
        println!("skipped gpu_results_match_the_cpu: no usable CUDA GPU ({reason})");
        return;
    }
    let context = runtime::create_context();
    for path in models() {
        let module = parse(&context, &path, Variant::ChannelsLast);
        let name = path.display().to_string();
        let cpu = CpuProgram::from_module(&context, &module, &name, &CompileOptions::default())
            .expect("CPU compile");
        let lowered = LoweredCuda::lower(&context, &module, &name, &CudaOptions::default())
            .expect("CUDA lowering");
        let gpu = CudaProgram::new(lowered, 2).expect("CUDA program");
        let inputs = random::random_inputs(7, &cpu.signature().arguments);
        let expected = cpu.run(&inputs).expect("CPU run");
        let actual = gpu.run(&inputs).expect("GPU run");
        for (reference, output) in expected.iter().zip(&actual) {
            // cuDNN may use TF32 on Ampere and newer: a looser tolerance.
            let tolerance = Tolerance {
                rtol: 1e-2,
                atol: 1e-3,
            };
            let report = compare::compare(reference, output, tolerance);
            assert!(report.passed(), "{name}: GPU differs from CPU: {report}");
        }
    }
}

/// The mock driver (tests/mock-cuda/libcuda.c) built with `cc` into `dir`
/// as `libcuda.so.1`; returns `dir`, for `LD_LIBRARY_PATH`.
pub(crate) fn mock_driver(dir: &Path) -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    std::fs::create_dir_all(dir).unwrap();
    let library = dir.join("libcuda.so.1");
    let out = Command::new("cc")
        .args(["-shared", "-fPIC", "-O1", "-Wall", "-Werror", "-o"])
        .arg(&library)
        .arg(root.join("tests/mock-cuda/libcuda.c"))
        .output()
        .expect("cc runs (the AOT tests need it too)");
    assert!(
        out.status.success(),
        "building the mock driver: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    dir.to_path_buf()
}

/// Runs chlast-run on the mock driver; returns its exit status, output and
/// the driver's counts.
fn run_on_mock_driver(
    driver: &Path,
    args: &[&str],
    env: &[(&str, &str)],
) -> (bool, String, std::collections::HashMap<String, String>) {
    let log = driver.join(format!("log-{}", env.len()));
    let mut command = Command::new(env!("CARGO_BIN_EXE_chlast-run"));
    command
        .args(args)
        .env("LD_LIBRARY_PATH", driver)
        .env("MOCK_CUDA_LOG", &log)
        .env_remove("CHLAST_CUDA_SYNC");
    for (key, value) in env {
        command.env(key, value);
    }
    let out = command.output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let counts = std::fs::read_to_string(&log)
        .unwrap_or_else(|e| panic!("the mock driver wrote no log ({e}): {text}"))
        .lines()
        .filter_map(|line| line.split_once(' '))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    (out.status.success(), text, counts)
}

/// The runtime's use of the driver, checked against a mock `libcuda.so.1`
/// that runs no kernel but checks and counts every call (no GPU needed):
/// one stream for everything; stream-ordered device allocations, each
/// freed; no managed or host-registered memory; the constants uploaded
/// once, at load, before any launch, and freed when the program is
/// dropped; no wait per kernel launch, only per run; timing with events;
/// a run captured as a CUDA graph without waits, and replayed.
/// A failed allocation stops the run with the driver's error, no kernel
/// is launched after it, and nothing leaks. (cuDNN needs the real driver,
/// so the program has no convolution.)
#[test]
fn runtime_uses_the_driver_as_designed() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let dir = std::env::temp_dir().join(format!("chlast-mock-cuda-{}", std::process::id()));
    let driver = mock_driver(&dir);
    let model = root.join("tests/mock-cuda/norm.mlir");
    let model = model.to_str().unwrap();

    let stats = dir.join("stats.json");
    let lowered = Command::new(env!("CARGO_BIN_EXE_chlast-opt"))
        .arg(model)
        .arg(format!("--chlast-lower-to-cuda=stats={}", stats.display()))
        .args(["-o", "/dev/null"])
        .output()
        .unwrap();
    assert!(lowered.status.success());
    let json = std::fs::read_to_string(&stats).unwrap();
    let (kernels, constants) = (
        stat(&json, "kernel_launches"),
        stat(&json, "device_constants"),
    );
    assert!(kernels >= 5 && constants >= 1, "{json}");

    let (ok, text, counts) = run_on_mock_driver(
        &driver,
        &["--target", "cuda", model, "--iterations", "3"],
        &[],
    );
    let count = |key: &str| -> i64 {
        counts[key]
            .parse()
            .unwrap_or_else(|_| panic!("{key}: {}", counts[key]))
    };
    println!("{text}{counts:?}");
    assert!(ok, "{text}");
    assert_eq!(counts["first_error"], "none", "{counts:?}");
    assert_eq!(count("errors"), 0);
    assert!(
        text.contains("(device time: CUDA events around each run)"),
        "{text}"
    );
    assert!(
        text.contains(&format!("constants on the device: {constants} (")),
        "{text}"
    );
    assert_eq!(count("streams"), 1);
    assert_eq!((count("managed"), count("host_registers")), (0, 0));
    // One run, one warm-up and 3 timed runs, then one more run before the
    // CUDA graph is captured (its launches are recorded, not run) and
    // replayed once to check its outputs and 3 times to time it.
    let runs = 6;
    assert_eq!(count("launches"), runs * kernels);
    assert_eq!(count("captures"), 1);
    assert_eq!(count("captured_launches"), kernels);
    assert_eq!(count("graph_launches"), 1 + 3);
    assert_eq!(count("replayed_launches"), 4 * kernels);
    assert!(text.contains("CUDA graph: min "), "{text}");
    assert!(
        text.contains("replay vs plain run: max abs error 0.000e0, PASS"),
        "{text}"
    );
    assert_eq!(count("uploads_at_load"), constants);
    assert_eq!(count("alloc_sync"), constants);
    assert_eq!(count("free_sync"), constants, "constants freed on unload");
    assert_eq!(count("alloc_async"), count("free_async"));
    assert_eq!(count("live_allocs"), 0);
    // Waits: a few at the boundary of each run, never one per launch.
    assert!(count("stream_syncs") <= 16, "{counts:?}");
    assert!(count("stream_syncs") < count("launches") / 2, "{counts:?}");
    assert_eq!(count("event_records"), 2 * (3 + 3));

    // With CHLAST_CUDA_SYNC=1, every launch is waited for.
    let (ok, text, counts) = run_on_mock_driver(
        &driver,
        &["--target", "cuda", model],
        &[("CHLAST_CUDA_SYNC", "1")],
    );
    assert!(ok, "{text}");
    let synced: i64 = counts["stream_syncs"].parse().unwrap();
    assert!(synced >= kernels, "{counts:?}");

    // The 3rd allocation fails: a clear error, exit status 1, no launch
    // after it, nothing leaked.
    let (ok, text, counts) = run_on_mock_driver(
        &driver,
        &["--target", "cuda", model],
        &[("MOCK_CUDA_FAIL_ALLOC", "3")],
    );
    println!("{text}{counts:?}");
    assert!(!ok);
    assert!(
        text.contains(
            "chlast-run: CUDA driver call cuMemAllocAsync failed with CUDA_ERROR_OUT_OF_MEMORY"
        ),
        "{text}"
    );
    assert_eq!(counts["failed_allocs"], "1");
    assert_eq!(counts["launches_after_failure"], "0");
    assert_eq!(counts["live_allocs"], "0");
    assert_eq!(counts["errors"], "0", "{counts:?}");
    std::fs::remove_dir_all(&dir).ok();
}
