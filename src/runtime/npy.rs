//! A minimal `.npy` reader and writer (format versions 1.0 to 3.0 read,
//! 1.0 written), for little-endian, C-order arrays of `<f4`, `<f2`, `<i4`
//! and `<i8`.
//!
//! bfloat16 has no numpy dtype: bf16 tensors are written as `<f4` (an exact
//! widening), and a bf16 tensor can be read from `<f4` data (rounded to
//! nearest even).

use super::{
    RuntimeError,
    tensor::{ElementType, Tensor, TensorData, f32_to_bf16},
};
use std::path::Path;

const MAGIC: &[u8] = b"\x93NUMPY";

/// The numpy dtype descriptor of `element` as written by [`write`].
pub fn descr(element: ElementType) -> &'static str {
    match element {
        ElementType::F32 | ElementType::BF16 => "<f4",
        ElementType::F16 => "<f2",
        ElementType::I32 => "<i4",
        ElementType::I64 => "<i8",
    }
}

fn element_of_descr(descr: &str) -> Option<ElementType> {
    match descr {
        "<f4" => Some(ElementType::F32),
        "<f2" => Some(ElementType::F16),
        "<i4" => Some(ElementType::I32),
        "<i8" => Some(ElementType::I64),
        _ => None,
    }
}

/// Encodes `tensor` as a `.npy` (version 1.0) byte string.
pub fn to_bytes(tensor: &Tensor) -> Vec<u8> {
    let element = tensor.data.element_type();
    let shape = match tensor.shape.as_slice() {
        [] => "()".to_string(),
        [single] => format!("({single},)"),
        dims => format!(
            "({})",
            dims.iter()
                .map(usize::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let mut header = format!(
        "{{'descr': '{}', 'fortran_order': False, 'shape': {shape}, }}",
        descr(element)
    );
    // Magic (6) + version (2) + length (2) + header, padded with spaces and
    // ended by a newline so that the data starts 64-byte aligned.
    let unpadded = MAGIC.len() + 4 + header.len() + 1;
    header.push_str(&" ".repeat((64 - unpadded % 64) % 64));
    header.push('\n');
    let mut bytes = Vec::with_capacity(10 + header.len() + tensor.len() * element.size_bytes());
    bytes.extend_from_slice(MAGIC);
    bytes.extend_from_slice(&[1, 0]);
    bytes.extend_from_slice(&(header.len() as u16).to_le_bytes());
    bytes.extend_from_slice(header.as_bytes());
    match &tensor.data {
        TensorData::BF16(values) => {
            for &bits in values {
                bytes.extend_from_slice(&(u32::from(bits) << 16).to_le_bytes());
            }
        }
        data => bytes.extend_from_slice(&data.to_le_bytes()),
    }
    bytes
}

/// Writes `tensor` to `path` as `.npy`.
pub fn write(path: &Path, tensor: &Tensor) -> Result<(), RuntimeError> {
    std::fs::write(path, to_bytes(tensor)).map_err(|source| RuntimeError::Io {
        path: path.display().to_string(),
        source,
    })
}

/// Reads a `.npy` file.
pub fn read(path: &Path) -> Result<Tensor, RuntimeError> {
    let bytes = std::fs::read(path).map_err(|source| RuntimeError::Io {
        path: path.display().to_string(),
        source,
    })?;
    from_bytes(&bytes).map_err(|message| RuntimeError::Npy {
        path: path.display().to_string(),
        message,
    })
}

/// Decodes a `.npy` byte string; the error says what is wrong with it.
pub fn from_bytes(bytes: &[u8]) -> Result<Tensor, String> {
    if bytes.len() < 10 || &bytes[..6] != MAGIC {
        return Err("not a .npy file (bad magic string)".into());
    }
    let (header_len, header_start) = match bytes[6] {
        1 => (usize::from(u16::from_le_bytes([bytes[8], bytes[9]])), 10),
        2 | 3 if bytes.len() >= 12 => (
            u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize,
            12,
        ),
        major => {
            return Err(format!(
                "unsupported .npy format version {major}.{}",
                bytes[7]
            ));
        }
    };
    let data_start = header_start + header_len;
    let header = bytes
        .get(header_start..data_start)
        .ok_or("truncated header")?;
    let header = std::str::from_utf8(header).map_err(|_| "header is not text".to_string())?;
    let header = Header::parse(header)?;
    if header.fortran_order {
        return Err("Fortran-order arrays are not supported (save with C order)".into());
    }
    let element = element_of_descr(&header.descr).ok_or_else(|| {
        format!(
            "unsupported dtype '{}' (supported: '<f4', '<f2', '<i4', '<i8')",
            header.descr
        )
    })?;
    let expected =
        super::entry::checked_bytes(&header.shape, element.size_bytes()).map_err(|bytes| {
            format!(
                "shape {:?} needs {}, more than the {} bytes of memory available",
                header.shape,
                bytes.map_or("more than 2^64 bytes".to_string(), |b| format!("{b} bytes")),
                super::entry::available_memory()
            )
        })?;
    let data = &bytes[data_start..];
    if data.len() != expected {
        return Err(format!(
            "expected {expected} bytes of data for shape {:?}, found {}",
            header.shape,
            data.len()
        ));
    }
    Ok(Tensor {
        shape: header.shape,
        data: TensorData::from_le_bytes(element, data).expect("length checked"),
    })
}

/// Converts `<f4` data read for a bf16 argument; other tensors are returned
/// unchanged.
pub fn coerce_for(tensor: Tensor, element: ElementType) -> Tensor {
    match (tensor.data, element) {
        (TensorData::F32(values), ElementType::BF16) => Tensor {
            shape: tensor.shape,
            data: TensorData::BF16(values.into_iter().map(f32_to_bf16).collect()),
        },
        (data, _) => Tensor {
            shape: tensor.shape,
            data,
        },
    }
}

/// The fields of a `.npy` header dict.
struct Header {
    descr: String,
    fortran_order: bool,
    shape: Vec<usize>,
}

impl Header {
    /// Parses `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }`.
    fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let inner = text
            .strip_prefix('{')
            .and_then(|t| t.strip_suffix('}'))
            .ok_or_else(|| format!("malformed header {text:?}"))?;
        let mut descr = None;
        let mut fortran_order = None;
        let mut shape = None;
        let mut rest = inner.trim_start();
        while !rest.is_empty() {
            let (key, after_key) =
                quoted(rest).ok_or_else(|| format!("malformed header {text:?}"))?;
            let after_colon = after_key
                .trim_start()
                .strip_prefix(':')
                .ok_or_else(|| format!("malformed header {text:?}"))?
                .trim_start();
            let after_value = match key {
                "descr" => {
                    let (value, after) = quoted(after_colon)
                        .ok_or_else(|| format!("malformed descr in {text:?}"))?;
                    descr = Some(value.to_string());
                    after
                }
                "fortran_order" => {
                    if let Some(after) = after_colon.strip_prefix("False") {
                        fortran_order = Some(false);
                        after
                    } else if let Some(after) = after_colon.strip_prefix("True") {
                        fortran_order = Some(true);
                        after
                    } else {
                        return Err(format!("malformed fortran_order in {text:?}"));
                    }
                }
                "shape" => {
                    let close = after_colon
                        .strip_prefix('(')
                        .and_then(|t| t.find(')').map(|end| (&t[..end], &t[end + 1..])))
                        .ok_or_else(|| format!("malformed shape in {text:?}"))?;
                    shape = Some(
                        close
                            .0
                            .split(',')
                            .map(str::trim)
                            .filter(|d| !d.is_empty())
                            .map(|d| d.trim_end_matches('L').parse::<usize>())
                            .collect::<Result<Vec<_>, _>>()
                            .map_err(|_| format!("malformed shape in {text:?}"))?,
                    );
                    close.1
                }
                other => return Err(format!("unexpected key '{other}' in header")),
            };
            let after_value = after_value.trim_start();
            rest = after_value
                .strip_prefix(',')
                .unwrap_or(after_value)
                .trim_start();
        }
        Ok(Header {
            descr: descr.ok_or("header has no 'descr'")?,
            fortran_order: fortran_order.ok_or("header has no 'fortran_order'")?,
            shape: shape.ok_or("header has no 'shape'")?,
        })
    }
}

/// Splits `'text' rest` (single or double quotes) into `text` and `rest`.
fn quoted(text: &str) -> Option<(&str, &str)> {
    let quote = text.chars().next().filter(|c| *c == '\'' || *c == '"')?;
    let body = &text[1..];
    let end = body.find(quote)?;
    Some((&body[..end], &body[end + 1..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn replace(bytes: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
        let at = bytes.windows(from.len()).position(|w| w == from).unwrap();
        [&bytes[..at], to, &bytes[at + from.len()..]].concat()
    }

    fn round_trip(tensor: Tensor) {
        let bytes = to_bytes(&tensor);
        let header_len = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
        assert_eq!((10 + header_len) % 64, 0, "data is 64-byte aligned");
        assert_eq!(bytes[10 + header_len - 1], b'\n');
        assert_eq!(from_bytes(&bytes).unwrap(), tensor);
    }

    #[test]
    fn round_trips() {
        round_trip(Tensor {
            shape: vec![2, 3],
            data: TensorData::F32(vec![0.0, -1.5, 2.25, f32::INFINITY, 1e-30, 7.0]),
        });
        round_trip(Tensor {
            shape: vec![4],
            data: TensorData::I64(vec![i64::MIN, -1, 0, i64::MAX]),
        });
        round_trip(Tensor {
            shape: vec![],
            data: TensorData::I32(vec![42]),
        });
        round_trip(Tensor {
            shape: vec![1, 0, 2],
            data: TensorData::F16(vec![]),
        });
        round_trip(Tensor {
            shape: vec![1, 2, 1, 1, 1],
            data: TensorData::F16(vec![0x3c00, 0xc000]),
        });
    }

    #[test]
    fn header_text_is_what_numpy_writes() {
        let bytes = to_bytes(&Tensor {
            shape: vec![1, 3],
            data: TensorData::F32(vec![1.0, 2.0, 3.0]),
        });
        let header = std::str::from_utf8(&bytes[10..128]).unwrap();
        assert_eq!(u16::from_le_bytes([bytes[8], bytes[9]]), 118);
        assert!(header.starts_with("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 3), }"));
        let one = to_bytes(&Tensor {
            shape: vec![5],
            data: TensorData::I32(vec![0; 5]),
        });
        assert!(
            std::str::from_utf8(&one[10..64])
                .unwrap()
                .contains("'shape': (5,)")
        );
    }

    #[test]
    fn bf16_is_written_as_f4_and_read_back() {
        let tensor = Tensor {
            shape: vec![2],
            data: TensorData::BF16(vec![0x3f80, 0xc040]),
        };
        let read = from_bytes(&to_bytes(&tensor)).unwrap();
        assert_eq!(read.data, TensorData::F32(vec![1.0, -3.0]));
        assert_eq!(coerce_for(read, ElementType::BF16), tensor);
    }

    #[test]
    fn reads_numpy_variants() {
        // Version 2.0, double quotes, a trailing comma missing, extra spaces.
        let header = "{\"descr\": \"<i4\", \"shape\": (2,), \"fortran_order\": False}\n";
        let mut bytes = MAGIC.to_vec();
        bytes.extend_from_slice(&[2, 0]);
        bytes.extend_from_slice(&(header.len() as u32).to_le_bytes());
        bytes.extend_from_slice(header.as_bytes());
        bytes.extend_from_slice(&7i32.to_le_bytes());
        bytes.extend_from_slice(&(-7i32).to_le_bytes());
        let tensor = from_bytes(&bytes).unwrap();
        assert_eq!(tensor.shape, vec![2]);
        assert_eq!(tensor.data, TensorData::I32(vec![7, -7]));
    }

    #[test]
    fn rejects_bad_files() {
        assert!(from_bytes(b"hello").unwrap_err().contains("magic"));
        let mut bytes = to_bytes(&Tensor {
            shape: vec![2],
            data: TensorData::F32(vec![1.0, 2.0]),
        });
        bytes.pop();
        assert!(from_bytes(&bytes).unwrap_err().contains("expected 8 bytes"));
        let i8 = to_bytes(&Tensor {
            shape: vec![1],
            data: TensorData::I64(vec![0]),
        });
        let f8 = replace(&i8, b"<i8", b"<f8");
        assert!(
            from_bytes(&f8)
                .unwrap_err()
                .contains("unsupported dtype '<f8'")
        );
        let fortran = replace(&i8, b"False", b"True ");
        assert!(from_bytes(&fortran).unwrap_err().contains("Fortran"));
    }
}
