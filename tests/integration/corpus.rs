//! The corpus of real networks (`models/real/`: public PyTorch model code,
//! random weights, exported to ONNX and imported by `scripts/import-onnx.sh`)
//! against PyTorch's own outputs: each model runs three ways on the CPU, as
//! imported and after `--conv-channels-last` (materialized by `chlast-run`)
//! on the default CPU target (convolutions on oneDNN), and through the
//! cuDNN-call lowering of the channels-last program with the scalar
//! reference convolutions (`--target cpu-cudnn`), each compared with
//! `NAME.torch.npy` by
//! `chlast-run --expect` (f32: rtol 1e-4, atol 1e-5 times the output's
//! largest magnitude).

use std::{
    path::{Path, PathBuf},
    process::{Command, Output},
};

/// Every corpus model: `(name, model file, input, PyTorch's output)`.
fn corpus_models(root: &Path) -> Vec<(String, PathBuf, PathBuf, PathBuf)> {
    let dir = root.join("models/real");
    let mut models: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "mlirbc" || e == "mlir"))
        .map(|model| {
            let name = model.file_stem().unwrap().to_string_lossy().to_string();
            let input = dir.join(format!("{name}.input.npy"));
            let expected = dir.join(format!("{name}.torch.npy"));
            (name, model, input, expected)
        })
        .collect();
    models.sort();
    models
}

fn run(program: &str, args: &[&str]) -> Output {
    Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}"))
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// The largest `max abs error` chlast-run printed for an `--expect` check.
fn max_abs_error(stdout: &str) -> f64 {
    stdout
        .lines()
        .filter_map(|l| l.split("max abs error ").nth(1))
        .filter_map(|rest| rest.split(',').next()?.parse::<f64>().ok())
        .fold(0.0, f64::max)
}

/// One model, three ways; `Err` describes the first failure.
fn check_model(
    scratch: &Path,
    name: &str,
    model: &Path,
    input: &Path,
    expected: &Path,
) -> Result<String, String> {
    let chlast_opt = env!("CARGO_BIN_EXE_chlast-opt");
    let chlast_run = env!("CARGO_BIN_EXE_chlast-run");
    let rewritten = scratch.join(format!("{name}.channels-last.mlir"));
    let stats = scratch.join(format!("{name}.stats.json"));
    let pass = format!("--conv-channels-last=stats={}", stats.display());
    let opt = run(
        chlast_opt,
        &[
            model.to_str().unwrap(),
            &pass,
            "-o",
            rewritten.to_str().unwrap(),
        ],
    );
    if !opt.status.success() {
        return Err(format!(
            "{name}: --conv-channels-last failed: {}",
            text(&opt)
        ));
    }
    let stats = std::fs::read_to_string(&stats).unwrap();
    let count = |key: &str| -> usize {
        stats
            .lines()
            .filter_map(|l| l.split(&format!("\"{key}\":")).nth(1))
            .filter_map(|rest| {
                rest.split(|c: char| !c.is_ascii_digit())
                    .next()?
                    .parse::<usize>()
                    .ok()
            })
            .sum()
    };
    let interior = stats.matches("\"site\":\"interior\"").count();
    let mut line = format!(
        "{name}: convs {}/{} converted, {} runtime conversions ({} interior, {} bytes)",
        count("convs_converted"),
        count("convs_found"),
        count("runtime_conversion_count"),
        interior,
        count("runtime_conversion_bytes")
    );
    let inputs = input.to_str().unwrap();
    let expect = expected.to_str().unwrap();
    for (file, target, what) in [
        (model, "cpu", "as imported"),
        (rewritten.as_path(), "cpu", "channels-last"),
        (
            rewritten.as_path(),
            "cpu-cudnn",
            "channels-last, cuDNN calls",
        ),
    ] {
        let out = run(
            chlast_run,
            &[
                file.to_str().unwrap(),
                "--target",
                target,
                "--inputs",
                inputs,
                "--expect",
                expect,
                // LLVM's time on these one-function networks dominates at
                // -O2 (SD: 152 s vs 8 s); the numbers do not change.
                "--opt-level",
                "0",
            ],
        );
        if !out.status.success() {
            return Err(format!(
                "{name} ({what}) differs from PyTorch:\n{}",
                text(&out)
            ));
        }
        let error = max_abs_error(&String::from_utf8_lossy(&out.stdout));
        line += &format!("; {what}: max abs error {error:.2e}");
    }
    Ok(line)
}

#[test]
fn corpus_matches_pytorch() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let models = corpus_models(&root);
    assert!(
        models.len() >= 5,
        "models/real/ holds {} models, expected at least 5",
        models.len()
    );
    let scratch = std::env::temp_dir().join(format!("chlast-corpus-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).unwrap();
    let results: Vec<Result<String, String>> =
        super::on_two_threads(&models, |(name, model, input, expected)| {
            check_model(&scratch, name, model, input, expected)
        });
    std::fs::remove_dir_all(&scratch).ok();
    let mut failures = Vec::new();
    for result in results {
        match result {
            Ok(line) => println!("{line}"),
            Err(failure) => failures.push(failure),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The PyTorch oracle has teeth: the channels-last program of a corpus
/// model with one wrong permutation (its input transpose NCHW -> NHWC made
/// NCHW -> NWHC) fails `--expect`.
#[test]
fn corpus_oracle_catches_a_wrong_permutation() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let (name, model, input, expected) = corpus_models(&root)
        .into_iter()
        .find(|(name, ..)| name == "resnet50")
        .expect("models/real/ has resnet50");
    let scratch = std::env::temp_dir().join(format!("chlast-oracle-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).unwrap();
    let good = scratch.join(format!("{name}.good.mlir"));
    let opt = run(
        env!("CARGO_BIN_EXE_chlast-opt"),
        &[
            model.to_str().unwrap(),
            "--conv-channels-last",
            "--chlast-materialize-layouts",
            "-o",
            good.to_str().unwrap(),
        ],
    );
    assert!(opt.status.success(), "{}", text(&opt));
    let good_text = std::fs::read_to_string(&good).unwrap();
    let wrong = "permutation = [0, 3, 2, 1]";
    let broken_text = good_text.replacen("permutation = [0, 2, 3, 1]", wrong, 1);
    assert!(broken_text.contains(wrong), "{name} has an NHWC transpose");
    let broken = scratch.join(format!("{name}.broken.mlir"));
    std::fs::write(&broken, broken_text).unwrap();
    let check = |file: &Path| {
        run(
            env!("CARGO_BIN_EXE_chlast-run"),
            &[
                file.to_str().unwrap(),
                "--inputs",
                input.to_str().unwrap(),
                "--expect",
                expected.to_str().unwrap(),
                "--opt-level",
                "0",
            ],
        )
    };
    let ok = check(&good);
    assert!(
        ok.status.success(),
        "the correct rewrite passes: {}",
        text(&ok)
    );
    let bad = check(&broken);
    assert_eq!(bad.status.code(), Some(1), "{}", text(&bad));
    assert!(text(&bad).contains("differs from the --expect references"));
    std::fs::remove_dir_all(&scratch).ok();
}

/// Every corpus model's channels-last program lowers to CUDA (cuDNN calls
/// plus PTX kernels) and every PTX module assembles with `ptxas` for sm_90.
#[test]
fn corpus_lowers_to_cuda_and_assembles() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let ptxas = std::env::var("CHLAST_PTXAS")
        .unwrap_or_else(|_| "/opt/chlast-cuda/nvidia/cuda_nvcc/bin/ptxas".into());
    assert!(
        Path::new(&ptxas).exists(),
        "ptxas not found at {ptxas}: run `make deps` or set CHLAST_PTXAS"
    );
    let scratch = std::env::temp_dir().join(format!("chlast-corpus-ptx-{}", std::process::id()));
    let mut failures = Vec::new();
    let mut modules = 0;
    for (name, model, ..) in corpus_models(&root) {
        let dir = scratch.join(&name);
        std::fs::create_dir_all(&dir).unwrap();
        let rewritten = dir.join("channels-last.mlir");
        let opt = run(
            env!("CARGO_BIN_EXE_chlast-opt"),
            &[
                model.to_str().unwrap(),
                "--conv-channels-last",
                "-o",
                rewritten.to_str().unwrap(),
            ],
        );
        assert!(opt.status.success(), "{name}: {}", text(&opt));
        let ptx_dir = dir.join("ptx");
        // Without a GPU the run fails after the PTX is written; with one it runs.
        let lowered = run(
            env!("CARGO_BIN_EXE_chlast-run"),
            &[
                rewritten.to_str().unwrap(),
                "--target",
                "cuda",
                "--chip",
                "sm_90",
                "--emit-ptx",
                ptx_dir.to_str().unwrap(),
            ],
        );
        let files: Vec<PathBuf> = std::fs::read_dir(&ptx_dir)
            .map(|d| d.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        if files.is_empty() {
            failures.push(format!("{name}: no PTX written: {}", text(&lowered)));
            continue;
        }
        for file in files {
            let out = run(
                &ptxas,
                &[
                    "-arch=sm_90",
                    file.to_str().unwrap(),
                    "-o",
                    file.with_extension("cubin").to_str().unwrap(),
                ],
            );
            if out.status.success() {
                modules += 1;
            } else {
                failures.push(format!("{name} {}: {}", file.display(), text(&out)));
            }
        }
    }
    std::fs::remove_dir_all(&scratch).ok();
    println!("corpus: {modules} PTX modules assembled");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// No GPU thread loops long: on every example model (small and `large/`),
/// the imported fixture and every corpus model, as imported and after
/// `--conv-channels-last`, the CUDA statistics report no kernel whose
/// per-thread serial trip count (its reduction loops) exceeds 4096
/// (`chlast-split-reductions` splits group-norm statistics and the like),
/// and the per-kernel list agrees with the maximum.
#[test]
fn no_kernel_loops_more_than_4096_times_per_thread() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut models: Vec<PathBuf> = corpus_models(&root).into_iter().map(|m| m.1).collect();
    for dir in [
        "examples/models",
        "examples/models/large",
        "examples/imported",
    ] {
        models.extend(crate::mlir_files(&root.join(dir)));
    }
    let scratch = std::env::temp_dir().join(format!("chlast-serial-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).unwrap();
    let stats = scratch.join("stats.json");
    let mut longest = 0;
    for model in &models {
        for pass in [None, Some("--conv-channels-last")] {
            let lower = format!("--chlast-lower-to-cuda=stats={}", stats.display());
            let mut args = vec![model.to_str().unwrap()];
            args.extend(pass);
            args.extend([lower.as_str(), "-o", "/dev/null"]);
            let out = run(env!("CARGO_BIN_EXE_chlast-opt"), &args);
            assert!(out.status.success(), "{}: {}", model.display(), text(&out));
            let json = std::fs::read_to_string(&stats).unwrap();
            let field = |key: &str| super::cuda::stat(&json, key);
            let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
            let max = field("max_serial_trip_count");
            let per_kernel = parsed["kernels"]
                .as_array()
                .expect("a kernels array")
                .iter()
                .map(|k| k["serial"].as_i64().expect("serial"))
                .max()
                .unwrap_or(1);
            println!("{} {pass:?}: longest serial loop {max}", model.display());
            assert_eq!(field("kernels_over_4096_serial"), 0, "{}", model.display());
            assert!(max <= 4096, "{}: {max}", model.display());
            assert_eq!(per_kernel, max, "{}", model.display());
            // Every op is a kernel on device memory (the lowering's
            // chlast-check-host-memory proved the host code never reads a
            // buffer), and the weights are uploaded once, at load.
            assert_eq!(field("host_loop_ops"), 0, "{}", model.display());
            assert_eq!(
                field("kernel_launches"),
                field("linalg_kernels"),
                "{}",
                model.display()
            );
            assert!(field("device_constants") > 0, "{}", model.display());
            longest = longest.max(max);
        }
    }
    std::fs::remove_dir_all(&scratch).ok();
    assert!(models.len() >= 14, "{} models", models.len());
    assert!(longest > 1, "some model has a reduction");
}
