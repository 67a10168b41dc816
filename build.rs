//! Builds the chlast dialect (TableGen + C++, `dialects/chlast`) with CMake
//! against the installed MLIR and links it into the crate, and generates the
//! Rust bindings of its C headers (`chlast-c/Chlast.h`, `chlast-c/ConvSpec.h`)
//! so that every struct, enum and constant shared by Rust and C++ has one
//! definition, the header.

use std::{
    env,
    path::{Path, PathBuf},
    process::Command,
};

fn main() {
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets this"));
    let out = PathBuf::from(env::var("OUT_DIR").expect("cargo sets this"));
    // The one setting of the LLVM/MLIR prefix is `.cargo/config.toml`.
    let prefix = env::var("MLIR_SYS_220_PREFIX")
        .expect("MLIR_SYS_220_PREFIX is set in .cargo/config.toml (or the environment)");
    let source = manifest.join("dialects/chlast");
    let build = out.join("chlast-dialect");

    for path in ["dialects", "cmake"] {
        println!("cargo:rerun-if-changed={}", manifest.join(path).display());
    }
    println!("cargo:rerun-if-env-changed=MLIR_SYS_220_PREFIX");

    let generator = if which("ninja") {
        "Ninja"
    } else {
        "Unix Makefiles"
    };
    // The build folder remembers the sources and MLIR it was configured
    // for; another checkout sharing this target folder (a CI clone with
    // CARGO_TARGET_DIR) or another MLIR prefix starts it afresh instead of
    // silently building the other checkout's sources.
    let configured_for = format!("{}\n{prefix}\n", source.display());
    let stamp = build.join("chlast-configured-for.txt");
    if std::fs::read_to_string(&stamp).ok().as_deref() != Some(configured_for.as_str()) {
        let _ = std::fs::remove_dir_all(&build);
    }
    if !build.join("CMakeCache.txt").exists() {
        run(Command::new("cmake")
            .arg("-S")
            .arg(&source)
            .arg("-B")
            .arg(&build)
            .arg("-G")
            .arg(generator)
            .arg("-DCMAKE_BUILD_TYPE=Release")
            .arg(format!("-DMLIR_DIR={prefix}/lib/cmake/mlir")));
        std::fs::write(&stamp, &configured_for).expect("the build folder is writable");
    }
    run(Command::new("cmake")
        .arg("--build")
        .arg(&build)
        .arg("--target")
        .arg("chlast_dialect"));

    generate_bindings(&source.join("include"), &prefix, &out);

    println!("cargo:rustc-link-search=native={}", build.display());
    println!("cargo:rustc-link-lib=static=chlast_dialect");
    println!("cargo:rustc-link-lib=dylib=stdc++");
}

/// `OUT_DIR/chlast_c.rs`, included by `src/ffi.rs`: chlast's own C API
/// and the conv spec constants; MLIR's C types come from `mlir_sys`.
fn generate_bindings(include: &Path, prefix: &str, out: &Path) {
    bindgen::builder()
        .header(include.join("chlast-c/Chlast.h").display().to_string())
        .header(include.join("chlast-c/ConvSpec.h").display().to_string())
        .clang_arg(format!("-I{}", include.display()))
        .clang_arg(format!("-I{prefix}/include"))
        .allowlist_function("chlast.*|mlirGetDialectHandle__chlast__")
        .allowlist_type("Chlast.*")
        .allowlist_var("CHLAST_.*")
        .blocklist_type("Mlir.*")
        .rustified_enum("ChlastOpClass|ChlastStrategy")
        .constified_enum_module("ChlastConvSpec.*")
        .raw_line("use mlir_sys::*;")
        .parse_callbacks(Box::new(bindgen::CargoCallbacks::new()))
        .generate()
        .expect("bindgen reads chlast-c/Chlast.h and chlast-c/ConvSpec.h")
        .write_to_file(out.join("chlast_c.rs"))
        .expect("OUT_DIR is writable");
}

fn which(tool: &str) -> bool {
    env::var_os("PATH")
        .map(|paths| env::split_paths(&paths).any(|dir| Path::new(&dir).join(tool).is_file()))
        .unwrap_or(false)
}

fn run(command: &mut Command) {
    let status = command.status().unwrap_or_else(|e| {
        panic!("cannot start {command:?}: {e} (is cmake installed? run `make deps`)")
    });
    assert!(status.success(), "{command:?} failed with {status}");
}
