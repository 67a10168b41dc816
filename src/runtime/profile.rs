//! Time per op of a CPU program (`chlast-run --profile-ops`): the
//! `chlast-profile-ops` pass (`dialects/chlast/lib/ProfileOps.cpp`) puts a
//! call to `chlast_profile_mark(id)` before every top-level op of the
//! bufferized program and `chlast_profile_mark(-1)` after it, and labels
//! each id in the module attribute `chlast.profile_ops`; this module
//! defines the mark and adds up the time between the two calls per id.
//!
//! ```text
//! call @chlast_profile_mark(3)       -> op 3 starts
//! scf.for ... (what the op became)
//! call @chlast_profile_mark(-1)      -> op 3 ends: its total += elapsed
//! ```
//!
//! The marks sit between ops, never inside their loops: the cost is two
//! calls and two clock reads per op and run, a few microseconds on a
//! decoder.

use std::{
    ffi::c_void,
    sync::Mutex,
    time::{Duration, Instant},
};

/// The program's ops in id order, with their time so far.
#[derive(Debug, Clone, Default)]
pub struct OpProfile {
    /// One entry per id: the pass's label, total time, times run.
    pub ops: Vec<OpTime>,
}

/// One timed op.
#[derive(Debug, Clone, PartialEq)]
pub struct OpTime {
    /// What the op is (kind, iteration space, body ops, location).
    pub label: String,
    /// Time between its marks, summed over runs.
    pub total: Duration,
    /// How many times it ran.
    pub count: u64,
}

impl OpProfile {
    /// The kind of each op (the label's first word, `call` with its callee)
    /// with its total time and op count, largest time first.
    pub fn by_kind(&self) -> Vec<(String, Duration, usize)> {
        let mut kinds: Vec<(String, Duration, usize)> = Vec::new();
        for op in &self.ops {
            let kind = kind_of(&op.label);
            match kinds.iter_mut().find(|(k, _, _)| *k == kind) {
                Some(entry) => {
                    entry.1 += op.total;
                    entry.2 += 1;
                }
                None => kinds.push((kind, op.total, 1)),
            }
        }
        kinds.sort_by_key(|kind| std::cmp::Reverse(kind.1));
        kinds
    }
}

/// `elementwise`, `reduction+index`, `call @chlast_cudnn_conv`, ...
fn kind_of(label: &str) -> String {
    let mut words = label.split_whitespace();
    match words.next() {
        Some("call") => format!("call {}", words.next().unwrap_or("")),
        Some(word) => word.to_string(),
        None => String::new(),
    }
}

struct State {
    totals: Vec<(Duration, u64)>,
    current: Option<(usize, Instant)>,
}

static STATE: Mutex<State> = Mutex::new(State {
    totals: Vec::new(),
    current: None,
});

fn with_state<T>(f: impl FnOnce(&mut State) -> T) -> T {
    let mut guard = STATE.lock().unwrap_or_else(|e| e.into_inner());
    f(&mut guard)
}

/// The mark to register as `chlast_profile_mark` in an ExecutionEngine.
pub fn symbols() -> Vec<(&'static str, *mut c_void)> {
    vec![("chlast_profile_mark", chlast_profile_mark as *mut c_void)]
}

/// Starts timing op `id`, or with -1 ends the op being timed.
extern "C" fn chlast_profile_mark(id: i64) {
    let now = Instant::now();
    with_state(|state| {
        if let Some((op, start)) = state.current.take() {
            if op >= state.totals.len() {
                state.totals.resize(op + 1, (Duration::ZERO, 0));
            }
            state.totals[op].0 += now - start;
            state.totals[op].1 += 1;
        }
        if let Ok(op) = usize::try_from(id) {
            state.current = Some((op, now));
        }
    });
}

/// Forgets the times recorded so far (before the runs to profile).
pub fn reset() {
    with_state(|state| {
        state.totals.clear();
        state.current = None;
    });
}

/// The times recorded since the last [`reset`], one entry per label.
pub fn collect(labels: &[String]) -> OpProfile {
    with_state(|state| OpProfile {
        ops: labels
            .iter()
            .enumerate()
            .map(|(id, label)| {
                let (total, count) = state.totals.get(id).copied().unwrap_or_default();
                OpTime {
                    label: label.clone(),
                    total,
                    count,
                }
            })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_add_up_per_op_and_kinds_group_them() {
        reset();
        for _ in 0..3 {
            chlast_profile_mark(0);
            std::thread::sleep(Duration::from_millis(2));
            chlast_profile_mark(-1);
            chlast_profile_mark(1);
            chlast_profile_mark(-1);
        }
        let labels = vec![
            "elementwise 1x8 [exp] @ a".to_string(),
            "elementwise 8 [addf] @ b".to_string(),
            "reduction 8 [addf] @ c".to_string(),
        ];
        let profile = collect(&labels);
        assert_eq!(profile.ops[0].count, 3);
        assert!(profile.ops[0].total >= Duration::from_millis(6));
        assert_eq!(profile.ops[1].count, 3);
        assert!(profile.ops[1].total < profile.ops[0].total);
        assert_eq!(profile.ops[2].count, 0);
        let kinds = profile.by_kind();
        assert_eq!(kinds[0].0, "elementwise");
        assert_eq!(kinds[0].2, 2);
        assert_eq!(kinds[1], ("reduction".to_string(), Duration::ZERO, 1));
        assert_eq!(
            kind_of("call @chlast_cudnn_conv @ x"),
            "call @chlast_cudnn_conv"
        );
    }
}
