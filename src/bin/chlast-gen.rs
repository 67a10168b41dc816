//! `chlast-gen`: writes a generated benchmark graph (a chain of
//! pad -> conv -> SiLU -> residual-add blocks, torch-mlir style) as MLIR.
//!
//! ```sh
//! chlast-gen --blocks 5000 --dims 2 -o chain2d_5000.mlir        # 32 channels, 16x16
//! chlast-gen --blocks 100 --dims 3 --channels 8 --size 2x8x8    # to stdout
//! ```
//!
//! See `chlast::generate` for what a block contains.

use chlast::generate::{ChainSpec, write_chain};
use std::io::{BufWriter, Write};
use std::process::ExitCode;

const USAGE: &str = "\
usage: chlast-gen --blocks N --dims 2|3 [--channels C] [--size S] [-o FILE]

Writes a chain of N blocks (tensor.pad -> conv k3 with bias -> SiLU ->
residual add) as MLIR in torch-mlir's linalg-on-tensors style.

  --blocks N     number of blocks (required)
  --dims 2|3     conv_2d_nchw_fchw or conv_3d_ncdhw_fcdhw (default 2)
  --channels C   channels of every activation (default 32 in 2-D, 16 in 3-D)
  --size S       spatial size: one number for every spatial dim, or one per
                 dim as HxW / DxHxW (default 16x16 in 2-D, 4x8x8 in 3-D)
  -o FILE        output file (default: stdout)
";

struct Args {
    blocks: usize,
    dims: usize,
    channels: Option<i64>,
    size: Option<Vec<i64>>,
    output: Option<String>,
}

fn parse_args(args: &[String]) -> Result<Option<Args>, String> {
    let mut blocks = None;
    let mut dims = 2;
    let mut channels = None;
    let mut size = None;
    let mut output = None;
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f, Some(v.to_string())),
            _ => (arg.as_str(), None),
        };
        if matches!(flag, "-h" | "--help") {
            return Ok(None);
        }
        let mut value = || -> Result<String, String> {
            inline
                .clone()
                .or_else(|| iter.next().cloned())
                .ok_or_else(|| format!("{flag} needs a value"))
        };
        let number = |text: String| -> Result<i64, String> {
            text.parse::<i64>()
                .map_err(|_| format!("{flag}: '{text}' is not a number"))
        };
        match flag {
            "--blocks" => {
                let n = number(value()?)?;
                blocks =
                    Some(usize::try_from(n).map_err(|_| format!("--blocks: {n} is negative"))?);
            }
            "--dims" => {
                dims = match number(value()?)? {
                    d @ (2 | 3) => d as usize,
                    d => return Err(format!("--dims must be 2 or 3, not {d}")),
                }
            }
            "--channels" => channels = Some(number(value()?)?),
            "--size" => {
                let text = value()?;
                let sizes = text
                    .split('x')
                    .map(|s| {
                        s.parse::<i64>()
                            .map_err(|_| format!("--size: '{text}' is not N or NxN[xN]"))
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                size = Some(sizes);
            }
            "-o" | "--output" => output = Some(value()?),
            other => return Err(format!("unknown argument '{other}'")),
        }
    }
    let blocks = blocks.ok_or("--blocks is required")?;
    Ok(Some(Args {
        blocks,
        dims,
        channels,
        size,
        output,
    }))
}

fn spec(args: &Args) -> Result<ChainSpec, String> {
    let mut spec = ChainSpec::new(args.blocks, args.dims).map_err(|e| e.to_string())?;
    if let Some(c) = args.channels {
        spec.channels = c;
    }
    if let Some(size) = &args.size {
        spec.spatial = match size.len() {
            1 => vec![size[0]; args.dims],
            n if n == args.dims => size.clone(),
            n => {
                return Err(format!(
                    "--size has {n} sizes for a {}-D chain (give 1 or {})",
                    args.dims, args.dims
                ));
            }
        };
    }
    spec.validate().map_err(|e| e.to_string())?;
    Ok(spec)
}

fn run(args: &Args) -> Result<(), String> {
    let spec = spec(args)?;
    match &args.output {
        Some(path) => {
            // Write next to the target and rename, so no partial file is left.
            let temporary = format!("{path}.tmp{}", std::process::id());
            let result = (|| {
                let file = std::fs::File::create(&temporary)?;
                let mut writer = BufWriter::new(file);
                write_chain(&spec, &mut writer)?;
                writer.flush()?;
                std::fs::rename(&temporary, path)
            })();
            result.map_err(|e| {
                let _ = std::fs::remove_file(&temporary);
                format!("cannot write '{path}': {e}")
            })
        }
        None => {
            let stdout = std::io::stdout();
            let mut writer = BufWriter::new(stdout.lock());
            write_chain(&spec, &mut writer)
                .and_then(|()| writer.flush())
                .map_err(|e| format!("cannot write to stdout: {e}"))
        }
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let parsed = match parse_args(&args) {
        Ok(Some(parsed)) => parsed,
        Ok(None) => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("chlast-gen: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(&parsed) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("chlast-gen: {message}");
            ExitCode::FAILURE
        }
    }
}
