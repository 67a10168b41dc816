//! The C API from C: `examples/c-api/conv_channels_last.c` compiled with
//! `cc` and linked with `libchlast_capi.a` (`make capi` builds it and the
//! link line of its native libraries), run on the example models and the
//! single-case lit inputs of the pass; its output must be chlast-opt's,
//! byte for byte, with the default options and with options passed as
//! text; bad options and an unparsable file fail with a message.

use std::{
    fs,
    path::{Path, PathBuf},
    process::Command,
};

/// The example program, compiled and linked once into `dir`.
fn build_example(dir: &Path) -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let exe = std::env::current_exe().unwrap();
    let profile = exe.parent().and_then(Path::parent).unwrap();
    let library = profile.join("libchlast_capi.a");
    let link = profile.join("chlast_capi.link");
    assert!(
        library.exists() && link.exists(),
        "{} or {} is missing: run `make capi` (make test does)",
        library.display(),
        link.display()
    );
    let native_libs = fs::read_to_string(&link).unwrap();
    let program = dir.join("conv_channels_last");
    let out = Command::new("cc")
        .args(["-Wall", "-Werror"])
        .arg(format!(
            "-I{}",
            root.join("dialects/chlast/include").display()
        ))
        .arg(format!("-I{}/include", chlast::LLVM_PREFIX))
        .arg(root.join("examples/c-api/conv_channels_last.c"))
        .arg(&library)
        .arg(format!("-L{}/lib", chlast::LLVM_PREFIX))
        .args(native_libs.split_whitespace())
        .arg("-o")
        .arg(&program)
        .output()
        .expect("cc runs");
    assert!(
        out.status.success(),
        "building the C example: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    program
}

#[test]
fn c_example_runs_the_pass_like_chlast_opt() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let dir = std::env::temp_dir().join(format!("chlast-c-api-{}", std::process::id()));
    fs::create_dir_all(&dir).unwrap();
    let program = build_example(&dir);

    let mut inputs = crate::mlir_files(&root.join("examples/models"));
    inputs.push(root.join("examples/vae_resblock3d.mlir"));
    inputs.extend(
        crate::mlir_files(&root.join("test/Transforms/conv-channels-last"))
            .into_iter()
            .filter(|f| {
                let text = fs::read_to_string(f).unwrap();
                !text.contains("// -----") && !text.contains("expected-")
            }),
    );
    assert!(inputs.len() >= 8, "{inputs:?}");
    for input in &inputs {
        for options in ["", "max-ops-per-conv=0 cost-model=false"] {
            let c = Command::new(&program)
                .arg(input)
                .arg(options)
                .output()
                .unwrap();
            let flag = if options.is_empty() {
                "--conv-channels-last".to_string()
            } else {
                format!("--conv-channels-last={options}")
            };
            let opt = Command::new(env!("CARGO_BIN_EXE_chlast-opt"))
                .arg(&flag)
                .arg(input)
                .output()
                .unwrap();
            assert!(
                c.status.success() && opt.status.success(),
                "{} {options}: {}{}",
                input.display(),
                String::from_utf8_lossy(&c.stderr),
                String::from_utf8_lossy(&opt.stderr)
            );
            assert_eq!(
                String::from_utf8_lossy(&c.stdout).trim_end(),
                String::from_utf8_lossy(&opt.stdout).trim_end(),
                "{} {options}: the C example and chlast-opt differ",
                input.display()
            );
        }
    }

    // The statistics through the pass's `stats` option.
    let stats = dir.join("stats.json");
    let run = Command::new(&program)
        .arg(root.join("examples/vae_resblock3d.mlir"))
        .arg(format!("stats={}", stats.display()))
        .output()
        .unwrap();
    assert!(run.status.success());
    let json = fs::read_to_string(&stats).unwrap();
    assert!(json.contains("\"convs_converted\":2"), "{json}");

    // Bad options and a file that does not parse: exit status 1, a message.
    let bad = Command::new(&program)
        .arg(root.join("examples/vae_resblock3d.mlir"))
        .arg("no-such-option=1")
        .output()
        .unwrap();
    let message = String::from_utf8_lossy(&bad.stderr);
    assert_eq!(bad.status.code(), Some(1), "{message}");
    assert!(message.contains("bad options"), "{message}");
    let broken = dir.join("broken.mlir");
    fs::write(&broken, "func.func @f( {\n").unwrap();
    let bad = Command::new(&program).arg(&broken).output().unwrap();
    let message = String::from_utf8_lossy(&bad.stderr);
    assert_eq!(bad.status.code(), Some(1), "{message}");
    assert!(message.contains("broken.mlir:1:"), "{message}");
    fs::remove_dir_all(&dir).ok();
}
