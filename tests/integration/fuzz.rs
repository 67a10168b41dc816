//! The differential fuzzer's fixed-seed batch (`chlast-fuzz`, see
//! `chlast::fuzz`): 240 random conv networks, each checked for a verifying,
//! idempotent, materializable rewrite that computes what the original
//! computes on the CPU and through the CUDA lowering's cuDNN calls (run by
//! the CPU reference) and by oneDNN. Two processes, one per core.

use std::process::Command;

#[test]
fn fuzz_batch_finds_no_failures() {
    let batches: Vec<_> = [(0, 120), (120, 120)]
        .into_iter()
        .map(|(seed, count)| {
            Command::new(env!("CARGO_BIN_EXE_chlast-fuzz"))
                .args(["--seed", &seed.to_string(), "--count", &count.to_string()])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("chlast-fuzz starts")
        })
        .collect();
    let (mut graphs, mut calls, mut onednn_calls) = (0, 0, 0);
    for child in batches {
        let out = child.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        println!("{stdout}");
        assert!(
            out.status.success(),
            "chlast-fuzz found failures (reproducers above):\n{stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let summary = stdout
            .lines()
            .find_map(|l| l.strip_prefix("chlast-fuzz: "))
            .expect("a summary line");
        let number_before = |word: &str| -> usize {
            let words: Vec<&str> = summary.split_whitespace().collect();
            let at = words.iter().position(|w| w.starts_with(word)).unwrap();
            words[at - 1].parse().unwrap()
        };
        graphs += number_before("graphs");
        calls += number_before("cuDNN");
        // "..., N on oneDNN, ...": the number two words before.
        let words: Vec<&str> = summary.split_whitespace().collect();
        let at = words.iter().position(|w| w.starts_with("oneDNN")).unwrap();
        onednn_calls += words[at - 2].parse::<usize>().unwrap();
        assert_eq!(number_before("failures"), 0);
    }
    assert_eq!(graphs, 240);
    assert!(calls >= 400, "only {calls} cuDNN calls checked");
    assert!(
        onednn_calls >= 300,
        "only {onednn_calls} oneDNN calls checked"
    );
}
