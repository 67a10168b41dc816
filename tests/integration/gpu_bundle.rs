//! The GPU check's bundle, up to the GPU: `scripts/gpu-bundle.sh` packs
//! chlast-run (this build's), the manifest, references and scripts, and
//! `gpu-check.sh --cpu` runs every step of the GPU check with the cuDNN
//! calls on the CPU reference: the imported, channels-last (`--passes
//! conv-channels-last`) and per-conv programs of three models, each
//! checked against its reference (the CPU runner's for the examples,
//! PyTorch's for resnet50).

use std::{path::PathBuf, process::Command};

#[test]
fn gpu_bundle_runs_its_cpu_self_test() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let scratch = std::env::temp_dir().join(format!("chlast-gpu-bundle-{}", std::process::id()));
    let bundle = scratch.join("bundle");
    let out = Command::new(root.join("scripts/gpu-bundle.sh"))
        .args([
            "--debug",
            "--no-wheels",
            "--chlast-run",
            env!("CARGO_BIN_EXE_chlast-run"),
        ])
        .args([
            "--models",
            "resnet_chain2d vae_decoder_block2d resnet50",
            "--out",
        ])
        .arg(&bundle)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "gpu-bundle.sh failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let check = Command::new("bash")
        .arg(bundle.join("gpu-check.sh"))
        .args(["--cpu", "--no-torch", "--out"])
        .arg(scratch.join("out"))
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&check.stdout);
    println!("{log}{}", String::from_utf8_lossy(&check.stderr));
    assert!(check.status.success(), "gpu-check.sh --cpu failed");
    let json = std::fs::read_to_string(scratch.join("out/gpu-check.json")).unwrap();
    let rows = json.matches("\"status\": \"ok\"").count();
    let matches = json.matches("\"matches\": true").count();
    assert_eq!(rows, 9, "3 models x 3 programs ran: {json}");
    assert_eq!(matches, 9, "every output matched its reference: {json}");
    assert!(
        log.contains("| resnet50 |"),
        "the table has a row per model"
    );
    std::fs::remove_dir_all(&scratch).ok();
}
