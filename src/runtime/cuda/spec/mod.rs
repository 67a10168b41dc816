//! The description of one cuDNN convolution, as the compiler emits it: a
//! constant array of [`SPEC_LEN`] `i64` values (`--chlast-convs-to-cudnn`,
//! `dialects/chlast/lib/ConvsToCudnn.cpp`) whose address is passed to
//! `chlast_cudnn_conv`.
//!
//! The words, flags and codes are defined once, in
//! `dialects/chlast/include/chlast-c/ConvSpec.h` (with a table of what each
//! word means), which the compiler includes and `build.rs` turns into the
//! Rust constants used here: the writer and this reader cannot disagree.
//!
//! The compiler folds a symmetric zero padding in front of a convolution into
//! the padding words; other pads stay explicit ops before it. With all flags
//! the call computes y = relu(conv(x, w) + z + bias); accumulate and
//! residual exclude each other (both add a tensor to the result).

use super::CudaError;

use crate::ffi::{
    self, ChlastConvSpecElementType as element_code, ChlastConvSpecFilterFormat as filter_code,
    ChlastConvSpecFlag as flag, ChlastConvSpecWord as word,
};

/// Number of `i64` values in an encoded spec.
pub const SPEC_LEN: usize = word::CHLAST_CONV_SPEC_LENGTH as usize;
/// The only spec version this runtime reads.
pub const SPEC_VERSION: i64 = ffi::CHLAST_CONV_SPEC_VERSION as i64;

/// Flag bit: a bias vector is added per output channel.
pub const FLAG_BIAS: i64 = flag::CHLAST_CONV_FLAG_BIAS as i64;
/// Flag bit: the convolution is added to y's previous contents.
pub const FLAG_ACCUMULATE: i64 = flag::CHLAST_CONV_FLAG_ACCUMULATE as i64;
/// Flag bit: ReLU (NaN-propagating `max(v, 0)`) is applied to the result.
pub const FLAG_RELU: i64 = flag::CHLAST_CONV_FLAG_RELU as i64;
/// Flag bit: a residual tensor z (y's dims and strides) is added before the
/// ReLU.
pub const FLAG_RESIDUAL: i64 = flag::CHLAST_CONV_FLAG_RESIDUAL as i64;
/// Flag bit: the filter is a constant of the program (its bytes never
/// change between calls, so a reordered copy can be kept unchecked).
pub const FLAG_CONSTANT_FILTER: i64 = flag::CHLAST_CONV_FLAG_CONSTANT_FILTER as i64;
/// Every flag bit this runtime reads.
const KNOWN_FLAGS: i64 =
    FLAG_BIAS | FLAG_ACCUMULATE | FLAG_RELU | FLAG_RESIDUAL | FLAG_CONSTANT_FILTER;

const VERSION: usize = word::CHLAST_CONV_SPEC_VERSION_WORD as usize;
const ELEMENT: usize = word::CHLAST_CONV_SPEC_ELEMENT_TYPE as usize;
const RANK: usize = word::CHLAST_CONV_SPEC_SPATIAL_RANK as usize;
const GROUPS: usize = word::CHLAST_CONV_SPEC_GROUPS as usize;
const FLAGS: usize = word::CHLAST_CONV_SPEC_FLAGS as usize;
const FILTER_FORMAT: usize = word::CHLAST_CONV_SPEC_FILTER_FORMAT as usize;
const X_DIMS: usize = word::CHLAST_CONV_SPEC_X_DIMS as usize;
const X_STRIDES: usize = word::CHLAST_CONV_SPEC_X_STRIDES as usize;
const W_DIMS: usize = word::CHLAST_CONV_SPEC_W_DIMS as usize;
const Y_DIMS: usize = word::CHLAST_CONV_SPEC_Y_DIMS as usize;
const Y_STRIDES: usize = word::CHLAST_CONV_SPEC_Y_STRIDES as usize;
const CONV_STRIDES: usize = word::CHLAST_CONV_SPEC_CONV_STRIDES as usize;
const DILATIONS: usize = word::CHLAST_CONV_SPEC_DILATIONS as usize;
const X_OFFSET: usize = word::CHLAST_CONV_SPEC_X_OFFSET as usize;
const W_OFFSET: usize = word::CHLAST_CONV_SPEC_W_OFFSET as usize;
const Y_OFFSET: usize = word::CHLAST_CONV_SPEC_Y_OFFSET as usize;
const PADS: usize = word::CHLAST_CONV_SPEC_PADS as usize;
/// Room for dims and strides of tensors (at most 5 dims).
const TENSOR_SLOTS: usize = ffi::CHLAST_CONV_SPEC_TENSOR_SLOTS as usize;
/// Room for per-spatial-dimension values (at most 3).
const SPATIAL_SLOTS: usize = ffi::CHLAST_CONV_SPEC_SPATIAL_SLOTS as usize;
const F32: i64 = element_code::CHLAST_CONV_ELEMENT_F32 as i64;
const F16: i64 = element_code::CHLAST_CONV_ELEMENT_F16 as i64;
const KCRS: i64 = filter_code::CHLAST_CONV_FILTER_KCRS as i64;
const KRSC: i64 = filter_code::CHLAST_CONV_FILTER_KRSC as i64;

/// Element type of x, w, y and the bias.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ElementType {
    /// 32-bit float.
    F32,
    /// 16-bit float (computed in f32).
    F16,
}

impl ElementType {
    /// Bytes per element.
    pub fn size_bytes(self) -> usize {
        match self {
            ElementType::F32 => 4,
            ElementType::F16 => 2,
        }
    }

    fn code(self) -> i64 {
        match self {
            ElementType::F32 => F32,
            ElementType::F16 => F16,
        }
    }
}

/// Memory order of the filter; its dims are always given as K, C/groups,
/// spatial...
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FilterFormat {
    /// K, C, spatial... row-major (cuDNN's `CUDNN_TENSOR_NCHW`).
    Kcrs,
    /// K, spatial..., C row-major (cuDNN's `CUDNN_TENSOR_NHWC`).
    Krsc,
}

impl FilterFormat {
    fn code(self) -> i64 {
        match self {
            FilterFormat::Kcrs => KCRS,
            FilterFormat::Krsc => KRSC,
        }
    }
}

/// A decoded convolution spec. [`ConvSpec::decode`] validates it; a spec
/// built by hand can be checked with [`ConvSpec::validate`] (cuDNN
/// descriptors are only built from valid specs).
///
/// Every vector holds `rank + 2` (tensors) or `rank` (strides, dilations)
/// values in cuDNN's logical order.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ConvSpec {
    /// Element type of all tensors.
    pub element: ElementType,
    /// Spatial rank, 2 or 3.
    pub rank: usize,
    /// Number of groups; divides C and K.
    pub groups: i64,
    /// Whether a K-element bias is added per output channel.
    pub has_bias: bool,
    /// Whether the result is added to y (beta = 1) instead of replacing it.
    pub accumulate: bool,
    /// Whether ReLU is applied last.
    pub relu: bool,
    /// Whether a residual tensor z (y's dims and strides) is added before
    /// the ReLU.
    pub residual: bool,
    /// Whether the filter is a constant of the program.
    pub constant_filter: bool,
    /// Memory order of the filter.
    pub filter_format: FilterFormat,
    /// x dims N, C, spatial...
    pub x_dims: Vec<i64>,
    /// x strides in elements, same order.
    pub x_strides: Vec<i64>,
    /// Filter dims K, C/groups, spatial...
    pub w_dims: Vec<i64>,
    /// y dims N, K, spatial...
    pub y_dims: Vec<i64>,
    /// y strides in elements, same order.
    pub y_strides: Vec<i64>,
    /// Convolution strides, one per spatial dim.
    pub conv_strides: Vec<i64>,
    /// Dilations, one per spatial dim.
    pub dilations: Vec<i64>,
    /// Zero padding on both sides, one per spatial dim.
    pub pads: Vec<i64>,
    /// Elements between x's base pointer and its first element.
    pub x_offset: i64,
    /// Elements between w's base pointer and its first element.
    pub w_offset: i64,
    /// Elements between y's base pointer and its first element.
    pub y_offset: i64,
}

impl ConvSpec {
    /// Decodes and validates an encoded spec (see the module docs).
    pub fn decode(words: &[i64]) -> Result<ConvSpec, CudaError> {
        if words.len() != SPEC_LEN {
            return Err(bad(format!("{} values, expected {SPEC_LEN}", words.len())));
        }
        if words[VERSION] != SPEC_VERSION {
            return Err(bad(format!(
                "version {}, this runtime reads version {SPEC_VERSION}",
                words[VERSION]
            )));
        }
        let element = match words[ELEMENT] {
            F32 => ElementType::F32,
            F16 => ElementType::F16,
            other => return Err(bad(format!("element type {other} (0 = f32, 1 = f16)"))),
        };
        let rank = match words[RANK] {
            2 => 2,
            3 => 3,
            other => return Err(bad(format!("spatial rank {other}, expected 2 or 3"))),
        };
        let flags = words[FLAGS];
        if flags & !KNOWN_FLAGS != 0 {
            return Err(bad(format!("unknown flags {flags:#x}")));
        }
        let filter_format = match words[FILTER_FORMAT] {
            KCRS => FilterFormat::Kcrs,
            KRSC => FilterFormat::Krsc,
            other => {
                return Err(bad(format!("filter format {other} (0 = KCRS, 1 = KRSC)")));
            }
        };
        // Unused slots must be 0, so that a spec has a single encoding.
        let used = [
            (X_DIMS, TENSOR_SLOTS, rank + 2),
            (X_STRIDES, TENSOR_SLOTS, rank + 2),
            (W_DIMS, TENSOR_SLOTS, rank + 2),
            (Y_DIMS, TENSOR_SLOTS, rank + 2),
            (Y_STRIDES, TENSOR_SLOTS, rank + 2),
            (CONV_STRIDES, SPATIAL_SLOTS, rank),
            (DILATIONS, SPATIAL_SLOTS, rank),
            (PADS, SPATIAL_SLOTS, rank),
        ];
        for (start, slots, count) in used {
            if let Some(i) = (start + count..start + slots).find(|&i| words[i] != 0) {
                return Err(bad(format!(
                    "entry {i} is {} but unused for spatial rank {rank}",
                    words[i]
                )));
            }
        }
        let take = |start: usize, count: usize| words[start..start + count].to_vec();
        let spec = ConvSpec {
            element,
            rank,
            groups: words[GROUPS],
            has_bias: flags & FLAG_BIAS != 0,
            accumulate: flags & FLAG_ACCUMULATE != 0,
            relu: flags & FLAG_RELU != 0,
            residual: flags & FLAG_RESIDUAL != 0,
            constant_filter: flags & FLAG_CONSTANT_FILTER != 0,
            filter_format,
            x_dims: take(X_DIMS, rank + 2),
            x_strides: take(X_STRIDES, rank + 2),
            w_dims: take(W_DIMS, rank + 2),
            y_dims: take(Y_DIMS, rank + 2),
            y_strides: take(Y_STRIDES, rank + 2),
            conv_strides: take(CONV_STRIDES, rank),
            dilations: take(DILATIONS, rank),
            pads: take(PADS, rank),
            x_offset: words[X_OFFSET],
            w_offset: words[W_OFFSET],
            y_offset: words[Y_OFFSET],
        };
        spec.validate()?;
        Ok(spec)
    }

    /// Encodes the spec as the compiler does; `decode(&s.encode()) == s`
    /// for every valid spec.
    pub fn encode(&self) -> Vec<i64> {
        let mut words = vec![0; SPEC_LEN];
        words[VERSION] = SPEC_VERSION;
        words[ELEMENT] = self.element.code();
        words[RANK] = self.rank as i64;
        words[GROUPS] = self.groups;
        words[FLAGS] = [
            (self.has_bias, FLAG_BIAS),
            (self.accumulate, FLAG_ACCUMULATE),
            (self.relu, FLAG_RELU),
            (self.residual, FLAG_RESIDUAL),
            (self.constant_filter, FLAG_CONSTANT_FILTER),
        ]
        .iter()
        .filter(|(set, _)| *set)
        .fold(0, |flags, (_, bit)| flags | bit);
        words[FILTER_FORMAT] = self.filter_format.code();
        let mut put = |start: usize, slots: usize, values: &[i64]| {
            for (i, &v) in values.iter().take(slots).enumerate() {
                words[start + i] = v;
            }
        };
        put(X_DIMS, TENSOR_SLOTS, &self.x_dims);
        put(X_STRIDES, TENSOR_SLOTS, &self.x_strides);
        put(W_DIMS, TENSOR_SLOTS, &self.w_dims);
        put(Y_DIMS, TENSOR_SLOTS, &self.y_dims);
        put(Y_STRIDES, TENSOR_SLOTS, &self.y_strides);
        put(CONV_STRIDES, SPATIAL_SLOTS, &self.conv_strides);
        put(DILATIONS, SPATIAL_SLOTS, &self.dilations);
        put(PADS, SPATIAL_SLOTS, &self.pads);
        words[X_OFFSET] = self.x_offset;
        words[W_OFFSET] = self.w_offset;
        words[Y_OFFSET] = self.y_offset;
        words
    }

    /// Checks what cuDNN's descriptors need to be built safely: rank 2 or
    /// 3, vector lengths, positive dims, strides and dilations that fit in
    /// an `i32`, non-negative offsets, groups dividing C and K, matching N
    /// and K, and the filter's C equal to C/groups. Whether the output
    /// dims are right is left to cuDNN (see
    /// [`super::cudnn::ConvDescriptors::new`]).
    pub fn validate(&self) -> Result<(), CudaError> {
        if self.rank != 2 && self.rank != 3 {
            return Err(bad(format!("spatial rank {}, expected 2 or 3", self.rank)));
        }
        let dims = self.rank + 2;
        let vectors: [(&str, &[i64], usize); 7] = [
            ("x dims", &self.x_dims, dims),
            ("x strides", &self.x_strides, dims),
            ("w dims", &self.w_dims, dims),
            ("y dims", &self.y_dims, dims),
            ("y strides", &self.y_strides, dims),
            ("convolution strides", &self.conv_strides, self.rank),
            ("dilations", &self.dilations, self.rank),
        ];
        for (name, values, expected) in vectors {
            if values.len() != expected {
                return Err(bad(format!(
                    "{name} have {} values, expected {expected} for spatial rank {}",
                    values.len(),
                    self.rank
                )));
            }
            if let Some(v) = values.iter().find(|&&v| v <= 0 || v > i64::from(i32::MAX)) {
                return Err(bad(format!(
                    "{name} {values:?}: {v} is not a positive 32-bit value"
                )));
            }
        }
        if self.pads.len() != self.rank {
            return Err(bad(format!(
                "pads have {} values, expected {} for spatial rank {}",
                self.pads.len(),
                self.rank,
                self.rank
            )));
        }
        if let Some(p) = self
            .pads
            .iter()
            .find(|&&p| !(0..=i64::from(i32::MAX)).contains(&p))
        {
            return Err(bad(format!(
                "pads {:?}: {p} is not a non-negative 32-bit value",
                self.pads
            )));
        }
        for (name, offset) in [
            ("x", self.x_offset),
            ("w", self.w_offset),
            ("y", self.y_offset),
        ] {
            if offset < 0 {
                return Err(bad(format!("negative {name} offset {offset}")));
            }
        }
        if self.accumulate && self.residual {
            return Err(bad(
                "accumulate and residual both add a tensor to the result; at most one may be set"
                    .to_string(),
            ));
        }
        let (channels, filters) = (self.x_dims[1], self.w_dims[0]);
        if self.groups <= 0 || self.groups > i64::from(i32::MAX) {
            return Err(bad(format!("{} groups", self.groups)));
        }
        if channels % self.groups != 0 || filters % self.groups != 0 {
            return Err(bad(format!(
                "{} groups do not divide C = {channels} and K = {filters}",
                self.groups
            )));
        }
        if self.w_dims[1] != channels / self.groups {
            return Err(bad(format!(
                "filter has {} input channels, expected C/groups = {}",
                self.w_dims[1],
                channels / self.groups
            )));
        }
        if self.x_dims[0] != self.y_dims[0] {
            return Err(bad(format!(
                "batch sizes differ: x has {}, y has {}",
                self.x_dims[0], self.y_dims[0]
            )));
        }
        if self.y_dims[1] != filters {
            return Err(bad(format!(
                "y has {} channels, the filter has K = {filters}",
                self.y_dims[1]
            )));
        }
        Ok(())
    }

    /// Whether x and y are channels-last (their channel stride is 1).
    pub fn is_channels_last(&self) -> bool {
        self.x_strides.get(1) == Some(&1) && self.y_strides.get(1) == Some(&1)
    }

    /// Bytes spanned by x from its first element.
    pub fn x_bytes(&self) -> usize {
        span(&self.x_dims, &self.x_strides) * self.element.size_bytes()
    }

    /// Element strides of the dense filter's K, C/groups and spatial dims
    /// (in that order) in its filter format.
    pub fn filter_strides(&self) -> (i64, i64, Vec<i64>) {
        let c = self.w_dims[1];
        let spatial = &self.w_dims[2..];
        let volume: i64 = spatial.iter().product();
        let row_major = (0..spatial.len()).map(|d| spatial[d + 1..].iter().product::<i64>());
        match self.filter_format {
            FilterFormat::Kcrs => (c * volume, volume, row_major.collect()),
            FilterFormat::Krsc => (c * volume, 1, row_major.map(|s| s * c).collect()),
        }
    }

    /// Bytes of the (dense) filter.
    pub fn w_bytes(&self) -> usize {
        self.w_dims
            .iter()
            .map(|&d| d.max(0) as usize)
            .product::<usize>()
            * self.element.size_bytes()
    }

    /// Bytes spanned by y from its first element.
    pub fn y_bytes(&self) -> usize {
        span(&self.y_dims, &self.y_strides) * self.element.size_bytes()
    }

    /// Whether the call needs cuDNN's fused conv + bias + activation
    /// (`cudnnConvolutionBiasActivationForward`): a ReLU or a residual.
    pub fn is_fused(&self) -> bool {
        self.relu || self.residual
    }

    /// Bytes of the bias vector (K elements), 0 without bias.
    pub fn bias_bytes(&self) -> usize {
        if self.has_bias {
            self.w_dims.first().map_or(0, |&k| k.max(0) as usize) * self.element.size_bytes()
        } else {
            0
        }
    }

    /// The encoding without offsets: specs with equal keys share cuDNN
    /// descriptors and algorithm choices.
    pub fn plan_key(&self) -> Vec<i64> {
        let mut key = self.encode();
        key[X_OFFSET] = 0;
        key[W_OFFSET] = 0;
        key[Y_OFFSET] = 0;
        key
    }
}

/// The [`SPEC_LEN`] words a `chlast_cudnn_conv` call's spec argument
/// points at.
///
/// # Safety
///
/// A non-null `spec` must point at [`SPEC_LEN`] readable `i64` values that
/// live for `'a` (the compiled code passes its constant spec).
pub unsafe fn words_at<'a>(spec: *const i64) -> Result<&'a [i64], CudaError> {
    if spec.is_null() {
        return Err(CudaError::BadArgument {
            function: "chlast_cudnn_conv",
            message: "null spec pointer".to_string(),
        });
    }
    // SAFETY: the caller's.
    Ok(unsafe { std::slice::from_raw_parts(spec, SPEC_LEN) })
}

/// The spec and operands of a `chlast_cudnn_conv(spec, x, w, y, bias, z)`
/// call made by compiled code (aligned base pointers, 0 for no bias or
/// residual), checked against each other.
///
/// # Safety
///
/// As [`words_at`].
pub unsafe fn decode_call(
    spec: *const i64,
    x: u64,
    w: u64,
    y: u64,
    bias: u64,
    z: u64,
) -> Result<(ConvSpec, ConvOperands), CudaError> {
    // SAFETY: the caller's.
    let spec = ConvSpec::decode(unsafe { words_at(spec) }?)?;
    let operands = ConvOperands::new(&spec, x, w, y, bias, z)?;
    Ok((spec, operands))
}

/// The tensors of one `chlast_cudnn_conv` call, each address at its
/// tensor's first element (the spec's element offsets applied; the
/// residual z has y's offset). Built only by [`ConvOperands::new`], so the
/// bias and residual are present exactly when the spec says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConvOperands {
    /// Input.
    pub x: u64,
    /// Filter.
    pub w: u64,
    /// Output.
    pub y: u64,
    /// Bias (K elements), when the spec has one.
    pub bias: Option<u64>,
    /// Residual (y's dims and strides), when the spec has one.
    pub z: Option<u64>,
}

impl ConvOperands {
    /// From the call's arguments (aligned base pointers; 0 for no bias or
    /// residual): checks them against `spec` and adds its offsets.
    pub fn new(
        spec: &ConvSpec,
        x: u64,
        w: u64,
        y: u64,
        bias: u64,
        z: u64,
    ) -> Result<Self, CudaError> {
        let argument = |message: String| CudaError::BadArgument {
            function: "chlast_cudnn_conv",
            message,
        };
        if x == 0 || w == 0 || y == 0 {
            return Err(argument("null tensor pointer".to_string()));
        }
        let given = |present: bool| if present { "a" } else { "no" };
        if spec.has_bias != (bias != 0) || spec.residual != (z != 0) {
            return Err(argument(format!(
                "the spec says {} bias and {} residual, but {} bias and {} residual pointer were given",
                given(spec.has_bias),
                given(spec.residual),
                given(bias != 0),
                given(z != 0),
            )));
        }
        let element = spec.element.size_bytes() as u64;
        let at = |base: u64, offset: i64| {
            u64::try_from(offset)
                .ok()
                .and_then(|o| o.checked_mul(element))
                .and_then(|o| base.checked_add(o))
                .ok_or_else(|| argument(format!("offset {offset} overflows")))
        };
        let optional = |base: u64, offset: i64| (base != 0).then(|| at(base, offset)).transpose();
        Ok(ConvOperands {
            x: at(x, spec.x_offset)?,
            w: at(w, spec.w_offset)?,
            y: at(y, spec.y_offset)?,
            bias: optional(bias, 0)?,
            z: optional(z, spec.y_offset)?,
        })
    }
}

/// Elements from the first to one past the last element of a strided
/// tensor (0 when a dim is 0).
fn span(dims: &[i64], strides: &[i64]) -> usize {
    if dims.iter().any(|&d| d <= 0) {
        return 0;
    }
    1 + dims
        .iter()
        .zip(strides)
        .map(|(&d, &s)| (d as usize - 1) * s.max(0) as usize)
        .sum::<usize>()
}

fn bad(message: String) -> CudaError {
    CudaError::BadSpec(message)
}

#[cfg(test)]
pub(crate) mod tests;
