//! The layout algebra: physical layouts of statically shaped tensors and how
//! they transfer through indexing maps and reshapes.
//!
//! A [`Layout`] views a tensor of logical shape `shape` with a finer shape
//! `view` (each logical dimension is the product of a consecutive run of view
//! dimensions) and stores the view's dimensions in the order `perm`
//! (outermost first). NHWC for a `1x32x16x16` tensor is view `[1,32,16,16]`,
//! perm `[0,2,3,1]`; a group-norm reshape of it to `1x8x1024` keeps channels
//! innermost with view `[1,8,4,16,16]`, perm `[0,3,4,1,2]`.
//!
//! Layouts are kept canonical, so two layouts are physically the same order
//! of elements exactly when they compare equal: unit dimensions carry no
//! order, and view dimensions that are adjacent both logically and
//! physically are merged.

/// One result of an indexing map, as the layout algebra needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MapResult {
    /// The loop dimension with this index (`d3`).
    Dim(usize),
    /// The constant 0 (a unit dimension broadcast along every loop).
    Zero,
}

/// A canonical physical layout of a tensor with a static shape.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Layout {
    shape: Vec<i64>,
    view: Vec<i64>,
    perm: Vec<usize>,
}

/// Why a layout could not be built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LayoutError {
    /// `perm` is not a permutation of the view's dimensions.
    NotAPermutation,
    /// `view` does not refine the logical shape.
    NotARefinement,
}

impl Layout {
    /// The row-major (plain) layout of `shape`.
    pub fn plain(shape: &[i64]) -> Self {
        Self::permuted(shape, &(0..shape.len()).collect::<Vec<_>>())
            .expect("identity is a permutation")
    }

    /// `shape` stored in the order `perm` of its own dimensions.
    pub fn permuted(shape: &[i64], perm: &[usize]) -> Result<Self, LayoutError> {
        Self::new(shape, shape, perm)
    }

    /// `shape` viewed as `view` and stored in the order `perm`.
    pub fn new(shape: &[i64], view: &[i64], perm: &[usize]) -> Result<Self, LayoutError> {
        if perm.len() != view.len() || !is_permutation(perm) {
            return Err(LayoutError::NotAPermutation);
        }
        let groups = view_groups(shape, view).ok_or(LayoutError::NotARefinement)?;
        Ok(canonicalize(shape, view, perm, &groups))
    }

    /// The logical shape.
    pub fn shape(&self) -> &[i64] {
        &self.shape
    }

    /// The view shape (canonical).
    pub fn view(&self) -> &[i64] {
        &self.view
    }

    /// The physical order of the view's dimensions (canonical).
    pub fn perm(&self) -> &[usize] {
        &self.perm
    }

    /// True when this is the row-major layout of the logical shape.
    pub fn is_plain(&self) -> bool {
        self.view == self.shape && self.perm.iter().enumerate().all(|(i, &p)| i == p)
    }

    /// The `#chlast.layout` encoding as `(perm, view)`; the view is empty
    /// when it equals the logical shape. `None` for the plain layout.
    pub fn encoding(&self) -> Option<(Vec<i64>, Vec<i64>)> {
        if self.is_plain() {
            return None;
        }
        let perm = self.perm.iter().map(|&p| p as i64).collect();
        let view = if self.view == self.shape {
            Vec::new()
        } else {
            self.view.clone()
        };
        Some((perm, view))
    }

    /// The layout of an operand whose indexing map is `map`, when the op's
    /// loops (of sizes `self.shape()`) are laid out as `self`. `None` when
    /// the map uses a loop twice.
    pub fn restrict(&self, map: &[MapResult]) -> Option<Layout> {
        if is_identity_map(map, self.shape.len()) {
            return Some(self.clone());
        }
        let groups = view_groups(&self.shape, &self.view)?;
        let mut used = vec![false; self.shape.len()];
        let mut shape = Vec::new();
        let mut view = Vec::new();
        // loop view dim -> operand view dim
        let mut renumber = vec![usize::MAX; self.view.len()];
        let mut units = Vec::new();
        for result in map {
            match *result {
                MapResult::Dim(d) => {
                    if d >= used.len() || std::mem::replace(&mut used[d], true) {
                        return None;
                    }
                    shape.push(self.shape[d]);
                    for v in groups[d].clone() {
                        renumber[v] = view.len();
                        view.push(self.view[v]);
                    }
                }
                MapResult::Zero => {
                    shape.push(1);
                    units.push(view.len());
                    view.push(1);
                }
            }
        }
        let mut perm: Vec<usize> = self
            .perm
            .iter()
            .map(|&v| renumber[v])
            .filter(|&v| v != usize::MAX)
            .collect();
        perm.extend(units);
        Layout::new(&shape, &view, &perm).ok()
    }

    /// The layout of an op's loops (of sizes `loops`) implied by an operand
    /// laid out as `self` with indexing map `map`. `None` unless the map
    /// names every loop exactly once.
    pub fn lift(&self, map: &[MapResult], loops: &[i64]) -> Option<Layout> {
        if is_identity_map(map, loops.len()) && loops == self.shape.as_slice() {
            return Some(self.clone());
        }
        if map.len() != self.shape.len() {
            return None;
        }
        let groups = view_groups(&self.shape, &self.view)?;
        let mut loop_of_dim = vec![None; map.len()];
        let mut seen = vec![false; loops.len()];
        for (j, result) in map.iter().enumerate() {
            if let MapResult::Dim(d) = *result {
                if d >= loops.len()
                    || std::mem::replace(&mut seen[d], true)
                    || loops[d] != self.shape[j]
                {
                    return None;
                }
                loop_of_dim[j] = Some(d);
            }
        }
        if seen.iter().any(|s| !s) {
            return None;
        }
        // Loop view: loop d's group is the view group of the dim naming it.
        let mut dim_of_loop = vec![0; loops.len()];
        for (j, d) in loop_of_dim.iter().enumerate() {
            if let Some(d) = d {
                dim_of_loop[*d] = j;
            }
        }
        let mut view = Vec::new();
        let mut renumber = vec![usize::MAX; self.view.len()];
        for &j in &dim_of_loop {
            for v in groups[j].clone() {
                renumber[v] = view.len();
                view.push(self.view[v]);
            }
        }
        let perm: Vec<usize> = self
            .perm
            .iter()
            .map(|&v| renumber[v])
            .filter(|&v| v != usize::MAX)
            .collect();
        Layout::new(loops, &view, &perm).ok()
    }

    /// The layout of the result of merging dimensions (`collapse_shape` with
    /// `reassociation`) of a tensor laid out as `self`.
    pub fn collapse(&self, reassociation: &[Vec<usize>], shape: &[i64]) -> Option<Layout> {
        if !is_partition(reassociation, self.shape.len()) {
            return None;
        }
        Layout::new(shape, &self.view, &self.perm).ok()
    }

    /// The layout of the result of splitting dimensions (`expand_shape` with
    /// `reassociation`, result shape `shape`) of a tensor laid out as `self`.
    /// `None` when the view and the new shape have no common refinement.
    pub fn expand(&self, reassociation: &[Vec<usize>], shape: &[i64]) -> Option<Layout> {
        if reassociation.len() != self.shape.len() || !is_partition(reassociation, shape.len()) {
            return None;
        }
        let groups = view_groups(&self.shape, &self.view)?;
        let mut view = Vec::new();
        let mut renumber: Vec<Vec<usize>> = vec![Vec::new(); self.view.len()];
        let mut units = Vec::new();
        for (i, dims) in reassociation.iter().enumerate() {
            let old: Vec<(usize, i64)> = groups[i]
                .clone()
                .map(|v| (v, self.view[v]))
                .filter(|&(_, s)| s != 1)
                .collect();
            let new: Vec<i64> = dims.iter().map(|&d| shape[d]).filter(|&s| s != 1).collect();
            let old_sizes: Vec<i64> = old.iter().map(|&(_, s)| s).collect();
            let refined = common_refinement(&old_sizes, &new)?;
            // Each old view dim covers a run of refined dims.
            let mut runs = Vec::new();
            let mut k = 0;
            for &(_, size) in &old {
                let start = k;
                let mut product = 1;
                while product < size {
                    product *= refined[k];
                    k += 1;
                }
                runs.push(start..k);
            }
            // Lay out the new view, giving unit dims their own entries.
            let mut refined_index = Vec::new();
            let mut r = 0;
            for &d in dims {
                if shape[d] == 1 {
                    units.push(view.len());
                    view.push(1);
                    continue;
                }
                let mut product = 1;
                while product < shape[d] {
                    refined_index.push(view.len());
                    view.push(refined[r]);
                    product *= refined[r];
                    r += 1;
                }
            }
            for ((v, _), run) in old.iter().zip(runs) {
                renumber[*v] = run.map(|k| refined_index[k]).collect();
            }
        }
        let mut perm: Vec<usize> = self
            .perm
            .iter()
            .flat_map(|&v| renumber[v].clone())
            .collect();
        perm.extend(units);
        Layout::new(shape, &view, &perm).ok()
    }

    /// The same layout for a tensor whose dimensions `changed` have new sizes
    /// (padding, concatenation, slicing). `None` when a changed dimension is
    /// split in the view.
    pub fn resized(&self, shape: &[i64]) -> Option<Layout> {
        if shape.len() != self.shape.len() {
            return None;
        }
        if shape == self.shape.as_slice() {
            return Some(self.clone());
        }
        let groups = view_groups(&self.shape, &self.view)?;
        let mut view = self.view.clone();
        for (i, group) in groups.iter().enumerate() {
            if shape[i] == self.shape[i] {
                continue;
            }
            if group.len() != 1 {
                return None;
            }
            view[group.start] = shape[i];
        }
        // A dim that becomes 1 or stops being 1 changes canonical form; the
        // constructor re-canonicalizes.
        Layout::new(shape, &view, &self.perm).ok()
    }
}

/// Bytes of a tensor with `shape` and elements of `element_bits` bits.
pub fn bytes(shape: &[i64], element_bits: u64) -> u64 {
    let elements: u64 = shape.iter().map(|&d| d.max(0) as u64).product();
    (elements * element_bits).div_ceil(8)
}

/// `(d0, d1, ..., dn-1)` over `n` loops.
fn is_identity_map(map: &[MapResult], loops: usize) -> bool {
    map.len() == loops && map.iter().enumerate().all(|(i, r)| *r == MapResult::Dim(i))
}

fn is_permutation(perm: &[usize]) -> bool {
    let mut seen = vec![false; perm.len()];
    perm.iter()
        .all(|&p| p < seen.len() && !std::mem::replace(&mut seen[p], true))
}

fn is_partition(reassociation: &[Vec<usize>], rank: usize) -> bool {
    reassociation.iter().flatten().copied().eq(0..rank)
}

/// For each logical dim, the run of view dims it is made of.
fn view_groups(shape: &[i64], view: &[i64]) -> Option<Vec<std::ops::Range<usize>>> {
    let mut groups = Vec::with_capacity(shape.len());
    let mut v = 0;
    for &size in shape {
        if size <= 0 || v == view.len() {
            return None;
        }
        let start = v;
        let mut product = view[v];
        v += 1;
        while product < size && v < view.len() {
            product *= view[v];
            v += 1;
        }
        if product != size {
            return None;
        }
        groups.push(start..v);
    }
    (v == view.len()).then_some(groups)
}

/// The coarsest common refinement of two factorizations of the same number
/// (unit factors removed), or `None` when none exists.
fn common_refinement(a: &[i64], b: &[i64]) -> Option<Vec<i64>> {
    let prefixes = |xs: &[i64]| {
        xs.iter()
            .scan(1i64, |p, &x| {
                *p *= x;
                Some(*p)
            })
            .collect::<Vec<_>>()
    };
    let (pa, pb) = (prefixes(a), prefixes(b));
    if pa.last().copied().unwrap_or(1) != pb.last().copied().unwrap_or(1) {
        return None;
    }
    let mut cuts: Vec<i64> = pa.into_iter().chain(pb).collect();
    cuts.sort_unstable();
    cuts.dedup();
    let mut refined = Vec::new();
    let mut previous = 1;
    for cut in cuts {
        if cut % previous != 0 {
            return None;
        }
        refined.push(cut / previous);
        previous = cut;
    }
    Some(refined)
}

/// Canonical form: unit view dims only for unit logical dims (placed right
/// after their predecessor), and adjacent-in-both-orders dims merged.
fn canonicalize(
    shape: &[i64],
    view: &[i64],
    perm: &[usize],
    groups: &[std::ops::Range<usize>],
) -> Layout {
    // 1. Keep, per logical dim, its non-unit view dims (or one unit dim).
    let mut kept: Vec<(usize, i64, usize)> = Vec::new(); // (old view dim, size, logical dim)
    for (i, group) in groups.iter().enumerate() {
        if shape[i] == 1 {
            kept.push((group.start, 1, i));
        } else {
            kept.extend(
                group
                    .clone()
                    .filter(|&v| view[v] != 1)
                    .map(|v| (v, view[v], i)),
            );
        }
    }
    let mut position = vec![usize::MAX; view.len()];
    for (p, &v) in perm.iter().enumerate() {
        position[v] = p;
    }
    // Physical order of the kept non-unit dims.
    let mut physical: Vec<usize> = (0..kept.len()).filter(|&k| kept[k].1 != 1).collect();
    physical.sort_by_key(|&k| position[kept[k].0]);
    // 2. Merge k, k+1 (consecutive in the view, same logical dim) when also
    // consecutive physically.
    let mut merged_into: Vec<usize> = (0..kept.len()).collect();
    let mut sizes: Vec<i64> = kept.iter().map(|k| k.1).collect();
    let mut order: Vec<usize> = Vec::new();
    for &k in &physical {
        if let Some(&last) = order.last() {
            let tail = last_member(&merged_into, last, kept.len());
            if tail + 1 == k && kept[tail].2 == kept[k].2 {
                merged_into[k] = last;
                sizes[last] *= sizes[k];
                continue;
            }
        }
        order.push(k);
    }
    // New view: surviving dims in view order.
    let survivors: Vec<usize> = (0..kept.len()).filter(|&k| merged_into[k] == k).collect();
    let mut index = vec![usize::MAX; kept.len()];
    for (n, &k) in survivors.iter().enumerate() {
        index[k] = n;
    }
    let new_view: Vec<i64> = survivors.iter().map(|&k| sizes[k]).collect();
    // 3. Physical order: non-unit survivors as ordered, then each unit dim
    // (in view order) where a channels-last layout has it.
    let mut new_perm: Vec<usize> = order.iter().map(|&k| index[k]).collect();
    for (n, &k) in survivors.iter().enumerate() {
        if kept[k].1 == 1 {
            let at = unit_dim_position(&new_perm, &new_view, n);
            new_perm.insert(at, n);
        }
    }
    Layout {
        shape: shape.to_vec(),
        view: new_view,
        perm: new_perm,
    }
}

/// Where to insert unit view dim `n` into the physical order `perm`. A unit
/// dim moves no bytes wherever it sits, but it decides where the dim goes
/// when it grows later (a frame concatenated to a one-frame tensor, a batch
/// concatenated to a one-sample tensor), so it sits where a channels-last
/// layout has it whatever the extents: first when nothing comes before it
/// in the view (a batch), right before the next non-unit view dim when there
/// is one (a frame before H), else right after the previous one (W after H).
/// NDHWC with D = 1 stays `[0, 2, 3, 4, 1]`.
fn unit_dim_position(perm: &[usize], view: &[i64], n: usize) -> usize {
    let placed_before = perm.iter().any(|&p| p < n);
    if !placed_before {
        return 0;
    }
    let next = (n + 1..view.len()).find(|&s| view[s] != 1);
    if let Some(at) = next.and_then(|s| perm.iter().position(|&p| p == s)) {
        return at;
    }
    let previous = perm.iter().copied().filter(|&p| p < n).max();
    previous
        .and_then(|q| perm.iter().position(|&p| p == q))
        .map_or(0, |at| at + 1)
}

fn last_member(merged_into: &[usize], head: usize, len: usize) -> usize {
    let mut tail = head;
    while tail + 1 < len && merged_into[tail + 1] == head {
        tail += 1;
    }
    tail
}

#[cfg(test)]
mod tests;
