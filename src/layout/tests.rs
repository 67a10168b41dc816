//! Unit tests of the layout algebra, and its agreement with the C++ side.

use super::*;
use MapResult::{Dim, Zero};

const NHWC: [usize; 4] = [0, 2, 3, 1];

#[test]
fn plain_and_identity_are_the_same() {
    let l = Layout::permuted(&[1, 32, 16, 16], &[0, 1, 2, 3]).unwrap();
    assert!(l.is_plain());
    assert_eq!(l.encoding(), None);
}

#[test]
fn unit_dims_carry_no_order() {
    // With N = 1 and C = 1, NHWC is the plain layout.
    let a = Layout::permuted(&[1, 1, 16, 16], &NHWC).unwrap();
    assert!(a.is_plain());
    // [C,1,1] stored as [1,1,C] is physically the same.
    assert!(
        Layout::permuted(&[32, 1, 1], &[1, 2, 0])
            .unwrap()
            .is_plain()
    );
    let nhwc = Layout::permuted(&[1, 32, 16, 16], &NHWC).unwrap();
    assert_eq!(nhwc.encoding(), Some((vec![0, 2, 3, 1], vec![])));
}

#[test]
fn unit_dims_sit_in_view_order() {
    // NDHWC whatever the extents: one frame or one batch does not move C.
    let ndhwc = [0, 2, 3, 4, 1];
    let one_frame = Layout::permuted(&[1, 8, 1, 4, 4], &ndhwc).unwrap();
    assert_eq!(one_frame.perm(), ndhwc);
    // Growing the frame dim (a concat along time) keeps NDHWC.
    let frames = one_frame.resized(&[1, 8, 3, 4, 4]).unwrap();
    assert_eq!(frames, Layout::permuted(&[1, 8, 3, 4, 4], &ndhwc).unwrap());
    // The same bytes from the other side: D innermost with D = 1.
    let d_last = Layout::permuted(&[1, 8, 1, 4, 4], &[0, 3, 4, 1, 2]).unwrap();
    assert_eq!(d_last, one_frame);
    // A 1x3x3 filter in FDHWC.
    let filter = Layout::permuted(&[8, 4, 1, 3, 3], &ndhwc).unwrap();
    assert_eq!(filter.perm(), ndhwc);
    // NHWC with H = 1 keeps H before W, with W = 1 W after H.
    let one_row = Layout::permuted(&[1, 8, 1, 16], &NHWC).unwrap();
    assert_eq!(one_row.perm(), NHWC);
    let one_column = Layout::permuted(&[2, 8, 4, 1], &NHWC).unwrap();
    assert_eq!(one_column.perm(), NHWC);
    // One sample grows to two (a batch concat): N stays first.
    let batch = Layout::permuted(&[1, 8, 4, 4], &NHWC).unwrap();
    assert_eq!(batch.resized(&[2, 8, 4, 4]).unwrap().perm(), NHWC);
}

#[test]
fn rejects_non_permutations_and_bad_views() {
    assert_eq!(
        Layout::permuted(&[2, 3], &[0, 0]),
        Err(LayoutError::NotAPermutation)
    );
    assert_eq!(
        Layout::new(&[6], &[4, 2], &[0, 1]),
        Err(LayoutError::NotARefinement)
    );
}

#[test]
fn adjacent_split_dims_merge() {
    // [1,8,4,16,16] with 8,4 adjacent physically is just NHWC of 1x32x16x16.
    let l = Layout::new(&[1, 32, 16, 16], &[1, 8, 4, 16, 16], &[0, 3, 4, 1, 2]).unwrap();
    assert_eq!(l, Layout::permuted(&[1, 32, 16, 16], &NHWC).unwrap());
}

#[test]
fn group_norm_reshapes_keep_channels_innermost() {
    let nhwc = Layout::permuted(&[1, 32, 16, 16], &NHWC).unwrap();
    let flat = nhwc
        .collapse(&[vec![0], vec![1, 2, 3]], &[1, 8192])
        .unwrap();
    let grouped = flat.expand(&[vec![0], vec![1, 2]], &[1, 8, 1024]).unwrap();
    // H and W stay adjacent, so the canonical view merges them.
    assert_eq!(
        grouped.encoding(),
        Some((vec![0, 3, 1, 2], vec![1, 8, 4, 256]))
    );
    // ...and back.
    let flat2 = grouped
        .collapse(&[vec![0], vec![1, 2]], &[1, 8192])
        .unwrap();
    let back = flat2
        .expand(&[vec![0], vec![1, 2, 3]], &[1, 32, 16, 16])
        .unwrap();
    assert_eq!(back, nhwc);
}

#[test]
fn group_statistics_are_plain() {
    // Reduction output map (d0, d1, 0) of the grouped layout.
    let grouped = Layout::new(&[1, 8, 1024], &[1, 8, 4, 16, 16], &[0, 3, 4, 1, 2]).unwrap();
    let stats = grouped.restrict(&[Dim(0), Dim(1), Zero]).unwrap();
    assert!(stats.is_plain());
    let per_group = grouped.restrict(&[Dim(0), Dim(1)]).unwrap();
    assert!(per_group.is_plain());
}

#[test]
fn restrict_and_lift_round_trip() {
    let nhwc = Layout::permuted(&[1, 32, 16, 16], &NHWC).unwrap();
    let loops = [1, 32, 16, 16];
    let identity = [Dim(0), Dim(1), Dim(2), Dim(3)];
    let it = nhwc.lift(&identity, &loops).unwrap();
    assert_eq!(it.restrict(&identity).unwrap(), nhwc);
    // A per-channel [32,1,1] operand with map (d1, 0, 0) stays plain.
    assert!(it.restrict(&[Dim(1), Zero, Zero]).unwrap().is_plain());
    // A bias [32] with map (d1) stays plain.
    assert!(it.restrict(&[Dim(1)]).unwrap().is_plain());
    // A transposed operand map (d0, d2, d3, d1) sees the identity.
    assert!(
        it.restrict(&[Dim(0), Dim(2), Dim(3), Dim(1)])
            .unwrap()
            .is_plain()
    );
    // Lifting from a partial map is refused.
    assert!(
        nhwc.restrict(&[Dim(0), Dim(1)])
            .unwrap()
            .lift(&[Dim(0), Dim(1)], &loops)
            .is_none()
    );
}

#[test]
fn resize_keeps_the_order() {
    let nhwc = Layout::permuted(&[1, 32, 16, 16], &NHWC).unwrap();
    let padded = nhwc.resized(&[1, 32, 18, 18]).unwrap();
    assert_eq!(padded, Layout::permuted(&[1, 32, 18, 18], &NHWC).unwrap());
    let grouped = Layout::new(&[1, 8, 1024], &[1, 8, 4, 16, 16], &[0, 3, 4, 1, 2]).unwrap();
    assert!(grouped.resized(&[1, 8, 1030]).is_none());
}

#[test]
fn refinement_needs_divisibility() {
    assert_eq!(
        common_refinement(&[4, 256], &[4, 16, 16]),
        Some(vec![4, 16, 16])
    );
    assert_eq!(
        common_refinement(&[32, 256], &[8, 1024]),
        Some(vec![8, 4, 256])
    );
    assert_eq!(common_refinement(&[4, 6], &[6, 4]), None);
}

#[test]
fn bytes_round_up() {
    assert_eq!(bytes(&[1, 32, 16, 16], 32), 32768);
    assert_eq!(bytes(&[3], 1), 1);
}

/// The C++ side's refinement relation (`LayoutAttr::viewGroupEnds`, which
/// the attribute verifier and materialization use) and Rust's
/// [`view_groups`] agree on every shape and view of rank up to 3 and 4 with
/// sizes 1 to 4 (including zero-size dims and non-refinements): one
/// algebra, checked on both sides.
#[test]
fn view_groups_agree_with_the_dialect() {
    fn all(rank: usize, sizes: &[i64]) -> Vec<Vec<i64>> {
        (0..rank).fold(vec![Vec::new()], |acc, _| {
            acc.into_iter()
                .flat_map(|prefix| {
                    sizes.iter().map(move |&s| {
                        let mut next = prefix.clone();
                        next.push(s);
                        next
                    })
                })
                .collect()
        })
    }
    let mut compared = 0;
    let mut refinements = 0;
    for rank in 0..=3 {
        for shape in all(rank, &[0, 1, 2, 3, 4]) {
            for view_rank in 0..=4 {
                for view in all(view_rank, &[1, 2, 3, 4]) {
                    let rust = view_groups(&shape, &view)
                        .map(|groups| groups.iter().map(|g| g.end as i64).collect::<Vec<_>>());
                    let mut ends = vec![0i64; shape.len()];
                    // SAFETY: the slices outlive the call; `ends` has room
                    // for one entry per logical dim.
                    let ok = unsafe {
                        crate::ffi::chlastLayoutViewGroupEnds(
                            shape.len() as isize,
                            shape.as_ptr(),
                            view.len() as isize,
                            view.as_ptr(),
                            ends.as_mut_ptr(),
                        )
                    };
                    let cpp = ok.then_some(ends);
                    assert_eq!(rust, cpp, "shape {shape:?}, view {view:?}");
                    compared += 1;
                    refinements += usize::from(cpp.is_some());
                }
            }
        }
    }
    assert!(
        compared > 50_000 && refinements > 300,
        "{compared} cases, {refinements} refinements"
    );
}
