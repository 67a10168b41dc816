//! The one integration-test binary (MLIR links statically, so every test
//! binary is large): the lit suite over `test/`, the embedding example, the
//! CPU equivalence check of the rewrites, the CUDA target's checks
//! (`integration/cuda.rs`) and the real-model corpus against PyTorch
//! (`integration/corpus.rs`), ahead-of-time compiled models linked
//! into a C program (`integration/aot.rs`), and the C API used from C
//! (`integration/c_api.rs`).

#[path = "../examples/embed.rs"]
mod embed;

#[path = "integration/cuda.rs"]
mod cuda;

#[path = "integration/corpus.rs"]
mod corpus;

#[path = "integration/gpu_bundle.rs"]
mod gpu_bundle;

#[path = "integration/fuzz.rs"]
mod fuzz;

#[path = "integration/aot.rs"]
mod aot;

#[path = "integration/c_api.rs"]
mod c_api;

use std::{path::PathBuf, process::Command};

/// The `.mlir` files directly in `dir`, sorted.
fn mlir_files(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "mlir"))
        .collect();
    files.sort();
    files
}

fn lit_binary() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("LIT") {
        return Some(PathBuf::from(path));
    }
    [
        PathBuf::from(chlast::LLVM_PREFIX).join("bin/lit"),
        PathBuf::from("/usr/bin/lit"),
    ]
    .into_iter()
    .find(|p| p.exists())
}

/// Runs lit over `test/` against the freshly built `chlast-opt`; fails when
/// lit is missing or any lit test fails.
#[test]
fn lit_suite() {
    let lit = lit_binary().expect("lit not found: install llvm-22-tools (`make deps`) or set LIT");
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let chlast_opt = PathBuf::from(env!("CARGO_BIN_EXE_chlast-opt"));
    let status = Command::new(lit)
        .arg("-sv")
        .arg(root.join("test"))
        .env("CHLAST_OPT", &chlast_opt)
        .status()
        .expect("cannot run lit");
    assert!(status.success(), "lit reported failures (see above)");
}

/// The pass, materialization and CUDA lowering tests of the lit suite
/// again, through Debian's own mlir-opt with `libChlastPlugin.so` (`make
/// plugin`, which `make test` runs): the same FileCheck results as
/// chlast-opt (`test/mlir-opt-plugin.py` turns the pass flags into a
/// pipeline, since mlir-opt does not parse plugin pass flags).
#[test]
fn lit_suite_through_the_plugin() {
    let lit = lit_binary().expect("lit not found: install llvm-22-tools (`make deps`) or set LIT");
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let chlast_opt = PathBuf::from(env!("CARGO_BIN_EXE_chlast-opt"));
    let plugin = chlast_opt.with_file_name("libChlastPlugin.so");
    assert!(
        plugin.exists(),
        "{} is missing: run `make plugin` (make test does)",
        plugin.display()
    );
    let output = Command::new(lit)
        .arg("-v")
        .args(["Transforms", "Conversion", "Dialect"].map(|d| root.join("test").join(d)))
        .env("CHLAST_OPT", &chlast_opt)
        .env("CHLAST_PLUGIN", &plugin)
        .output()
        .expect("cannot run lit");
    let text = String::from_utf8_lossy(&output.stdout);
    println!("{text}{}", String::from_utf8_lossy(&output.stderr));
    assert!(
        output.status.success(),
        "lit through the plugin reported failures"
    );
    let passed = text.lines().filter(|l| l.starts_with("PASS:")).count();
    assert!(passed >= 50, "only {passed} tests ran through the plugin");
}

/// The embedding example converts its conv and folds the constant filter:
/// two runtime conversions remain (input and result), none for the weights.
#[test]
fn embedding_example_runs() {
    let text = embed::run().expect("the embedding example runs");
    assert_eq!(text.matches("chlast.to_layout").count(), 2, "{text}");
    assert!(
        text.contains("tensor<8x4x3x3xf32, #chlast.layout<nhwc>>"),
        "{text}"
    );
    assert!(text.contains("low[0, 0, 2, 1] high[0, 0, 0, 1]"), "{text}");
}

/// Typed options reach the Rust pass body: statistics go to the requested
/// file, even one whose name needs quoting in MLIR's option syntax.
#[test]
fn typed_options_reach_the_pass() {
    use melior::{Context, dialect::DialectRegistry, ir::Module, pass::PassManager};
    let registry = DialectRegistry::new();
    chlast::dialect::register_upstream_and_chlast(&registry);
    let context = Context::new();
    context.append_dialect_registry(&registry);
    context.load_all_available_dialects();
    let dir = std::env::temp_dir().join(format!("chlast stats {}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("per function.json");
    let options = chlast::passes::ConvChannelsLastOptions {
        max_ops_per_conv: 0,
        stats_file: Some(path.display().to_string()),
        ..Default::default()
    };
    let mut module = Module::parse(&context, embed::INPUT).unwrap();
    let pm = PassManager::new(&context);
    pm.add_pass(chlast::passes::conv_channels_last(&options).expect("valid options"));
    pm.run(&mut module).expect("the pass succeeds");
    let stats = std::fs::read_to_string(&path).expect("statistics written");
    assert!(stats.contains("\"function\":\"conv\""), "{stats}");
    assert!(stats.contains("\"runtime_conversion_count\":2"), "{stats}");
    assert!(
        stats.contains("\"constant_conversions_folded\":1"),
        "{stats}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// One program to check: a name for messages and its MLIR text.
struct Program {
    name: String,
    text: String,
}

/// Every lit input chunk of the pass's tests that has a conv, the example
/// models and the shared fixture.
fn programs_with_convs(root: &std::path::Path) -> Vec<Program> {
    let mut programs = Vec::new();
    let mut files: Vec<PathBuf> = Vec::new();
    for dir in [
        "test/Transforms/conv-channels-last",
        "examples",
        "examples/models",
    ] {
        if let Ok(entries) = std::fs::read_dir(root.join(dir)) {
            files.extend(
                entries
                    .flatten()
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|e| e == "mlir")),
            );
        }
    }
    files.sort();
    files.push(root.join("examples/imported/vae_decoder_block2d.torch-mlir.mlir"));
    for file in files {
        let text = std::fs::read_to_string(&file)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", file.display()));
        for (i, chunk) in text.split("\n// -----").enumerate() {
            if chunk.contains("linalg.conv")
                || chunk.contains("linalg.depthwise_conv")
                || chunk.contains("linalg.pooling")
            {
                programs.push(Program {
                    name: format!("{}#{i}", file.display()),
                    text: chunk.to_string(),
                });
            }
        }
    }
    programs
}

/// Test inputs often accumulate convs into a bare `tensor.empty`, whose
/// contents are undefined; comparing such programs compares garbage. For
/// the check, every static `tensor.empty` of floats is filled with zeros
/// (in both programs, before the rewrite).
fn zero_initialized(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let trimmed = line.trim_start();
        let indent = &line[..line.len() - trimmed.len()];
        let parsed = trimmed
            .split_once(" = tensor.empty() : ")
            .and_then(|(name, ty)| {
                let element = ty
                    .strip_prefix("tensor<")?
                    .strip_suffix('>')?
                    .rsplit('x')
                    .next()?;
                let static_shape = !ty.contains('?') && !ty.contains(',');
                (name.starts_with('%')
                    && static_shape
                    && ["f32", "f16", "bf16", "f64"].contains(&element))
                .then(|| (name.to_string(), ty.to_string(), element.to_string()))
            });
        match parsed {
            Some((name, ty, element)) => {
                let base = name.trim_start_matches('%').replace('#', "_");
                out.push_str(&format!(
                    "{indent}%zero_init_{base} = tensor.empty() : {ty}\n\
                     {indent}%zero_{base} = arith.constant 0.0 : {element}\n\
                     {indent}{name} = linalg.fill ins(%zero_{base} : {element}) outs(%zero_init_{base} : {ty}) -> {ty}\n"
                ));
            }
            None => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    out
}

/// Public functions of a program (chlast-run runs one at a time).
fn public_functions(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|line| {
            let rest = line.trim_start().strip_prefix("func.func @")?;
            Some(
                rest.split(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .next()?
                    .to_string(),
            )
        })
        .collect()
}

/// The rewrite is exact: for every program with convs, the original and
/// `--conv-channels-last --chlast-materialize-layouts` compute the same
/// outputs on the same seeded inputs (chlast-run --compare, f32 rtol 1e-4).
/// So do the CUDA lowering's convolutions (`--compare-target cpu-cudnn`:
/// the cuDNN calls, with their folded pads, biases and ReLU/residual
/// epilogues, run by the CPU reference) of both programs.
/// Programs the CPU runner cannot run (dynamic shapes, memrefs, encoded
/// signatures, unsupported element types) are listed and skipped; at least
/// 40 functions must be compared.
#[test]
fn rewrites_are_numerically_exact() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let chlast_opt = env!("CARGO_BIN_EXE_chlast-opt");
    let chlast_run = env!("CARGO_BIN_EXE_chlast-run");
    let scratch = std::env::temp_dir().join(format!("chlast-equivalence-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).unwrap();
    let jobs: Vec<(String, PathBuf, String)> = programs_with_convs(&root)
        .into_iter()
        .enumerate()
        .flat_map(|(i, program)| {
            let path = scratch.join(format!("p{i}.mlir"));
            std::fs::write(&path, zero_initialized(&program.text)).unwrap();
            public_functions(&program.text)
                .into_iter()
                .map(move |f| (program.name.clone(), path.clone(), f))
        })
        .collect();
    let results: Vec<Result<Result<usize, String>, String>> =
        on_two_threads(&jobs, |(name, path, function)| {
            check_equivalence(chlast_opt, chlast_run, name, path, function)
        });
    let (mut compared, mut cudnn_calls) = (0, 0);
    let mut failures = Vec::new();
    for result in results {
        match result {
            Ok(Ok(calls)) => {
                compared += 1;
                cudnn_calls += calls;
            }
            Ok(Err(skip)) => println!("skipped: {skip}"),
            Err(failure) => failures.push(failure),
        }
    }
    std::fs::remove_dir_all(&scratch).ok();
    println!(
        "equivalence: {compared} functions compared, {cudnn_calls} cuDNN calls run by the CPU \
         reference, {} failures",
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "rewrites that change results:\n{}",
        failures.join("\n")
    );
    assert!(
        compared >= 40,
        "only {compared} functions could be compared"
    );
    assert!(
        cudnn_calls >= 100,
        "only {cudnn_calls} cuDNN calls were checked on the CPU"
    );
}

/// `check` applied to every item, the items split between two threads (the
/// machines have two cores; each check runs separate processes), results in
/// the items' order.
fn on_two_threads<T: Sync, R: Send>(items: &[T], check: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let check = &check;
    std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks(items.len().div_ceil(2).max(1))
            .map(|chunk| scope.spawn(move || chunk.iter().map(check).collect::<Vec<_>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    })
}

/// `Ok(Ok(calls))`: equal, with `calls` cuDNN calls run by the CPU
/// reference; `Ok(Err(reason))`: the original cannot run here; `Err`: the
/// rewrite failed or changed the results.
fn check_equivalence(
    chlast_opt: &str,
    chlast_run: &str,
    name: &str,
    path: &std::path::Path,
    function: &str,
) -> Result<Result<usize, String>, String> {
    // chlast-run on the original, with `extra` arguments.
    let run = |extra: &[&str]| {
        Command::new(chlast_run)
            .args([
                path.to_str().unwrap(),
                "--entry",
                function,
                "--seed",
                "7",
                "--opt-level",
                "0",
            ])
            .args(extra)
            .output()
            .map_err(|e| e.to_string())
    };
    let original = run(&[])?;
    if !original.status.success() {
        let why = String::from_utf8_lossy(&original.stderr);
        return Ok(Err(format!(
            "{name} @{function}: {}",
            why.lines().next().unwrap_or("")
        )));
    }
    let rewritten = path.with_extension(format!("{function}.rewritten.mlir"));
    let opt = Command::new(chlast_opt)
        .args([
            path.to_str().unwrap(),
            "--conv-channels-last=max-ops-per-conv=0",
            "--chlast-materialize-layouts",
            "-o",
            rewritten.to_str().unwrap(),
        ])
        .output()
        .map_err(|e| e.to_string())?;
    if !opt.status.success() {
        return Err(format!(
            "{name} @{function}: rewrite failed: {}",
            String::from_utf8_lossy(&opt.stderr)
        ));
    }
    // The rewrite on the CPU; then the CUDA lowering's convolutions (cuDNN
    // calls run by the CPU reference) of the original and of the rewrite.
    let path = path.to_str().unwrap();
    let rewritten = rewritten.to_str().unwrap();
    let mut cudnn_calls = 0;
    for (other, target, what) in [
        (rewritten, "cpu", "rewrite"),
        (path, "cpu-cudnn", "cuDNN calls of the original"),
        (rewritten, "cpu-cudnn", "cuDNN calls of the rewrite"),
    ] {
        let compare = run(&["--compare", other, "--compare-target", target])?;
        if !compare.status.success() {
            return Err(format!(
                "{name} @{function} ({what}): {}{}",
                String::from_utf8_lossy(&compare.stdout),
                String::from_utf8_lossy(&compare.stderr)
            ));
        }
        let stdout = String::from_utf8_lossy(&compare.stdout);
        cudnn_calls += stdout
            .lines()
            .find_map(|line| line.strip_prefix("cuDNN calls run by the CPU reference: "))
            .map_or(0, |n| n.trim().parse::<usize>().unwrap_or(0));
    }
    Ok(Ok(cudnn_calls))
}

/// The equivalence check has teeth: a rewrite with one wrong permutation
/// (the input transpose of the materialized fixture, NHWC -> NHCW... here
/// [0, 3, 2, 1]) is reported as different, with exit status 1.
#[test]
fn equivalence_check_catches_a_wrong_permutation() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let fixture = root.join("examples/imported/vae_decoder_block2d.torch-mlir.mlir");
    let scratch = std::env::temp_dir().join(format!("chlast-broken-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).unwrap();
    let good = scratch.join("good.mlir");
    let status = Command::new(env!("CARGO_BIN_EXE_chlast-opt"))
        .arg(&fixture)
        .args(["--conv-channels-last", "--chlast-materialize-layouts", "-o"])
        .arg(&good)
        .status()
        .unwrap();
    assert!(status.success());
    let text = std::fs::read_to_string(&good).unwrap();
    let wrong = "permutation = [0, 3, 2, 1]";
    let broken_text = text.replacen("permutation = [0, 2, 3, 1]", wrong, 1);
    assert!(
        broken_text.contains(wrong),
        "the materialized fixture has an NHWC transpose"
    );
    let broken = scratch.join("broken.mlir");
    std::fs::write(&broken, broken_text).unwrap();
    let run = |other: &std::path::Path| {
        Command::new(env!("CARGO_BIN_EXE_chlast-run"))
            .arg(&fixture)
            .args(["--seed", "3", "--opt-level", "0", "--compare"])
            .arg(other)
            .output()
            .unwrap()
    };
    assert!(run(&good).status.success(), "the correct rewrite passes");
    let out = run(&broken);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("FAIL"));
    std::fs::remove_dir_all(&scratch).ok();
}

/// The text-mutation fuzzer (`scripts/fuzz-text.py`), a fixed-seed batch:
/// `chlast-opt --conv-channels-last --chlast-materialize-layouts` on
/// mutated lit inputs never crashes or hangs; it gives a located error or
/// output that parses again. (Failures stock mlir-opt shows too are
/// upstream's and reported apart.)
#[test]
fn text_mutations_never_crash_chlast_opt() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new("python3")
        .arg(root.join("scripts/fuzz-text.py"))
        .args(["--chlast-opt", env!("CARGO_BIN_EXE_chlast-opt")])
        .args(["--seed", "11", "--count", "300"])
        .output()
        .expect("python3 runs scripts/fuzz-text.py");
    let stdout = String::from_utf8_lossy(&out.stdout);
    println!("{stdout}");
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("300 mutations"), "{stdout}");
}
