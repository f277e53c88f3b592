//! NIfTI conversion, by hand and timed.
//!
//! ```text
//! nifti_bench convert IN_DIR OUT_DIR [--gz] [--allow-unknown-geometry]
//!     one NIfTI + sidecar per series (files grouped by SeriesInstanceUID), a JSON line each
//! nifti_bench run IN_DIR OUT_DIR [--gz] [--threads N]
//!     the same, quietly: what `scripts/bench/nifti` times against dcm2niix with hyperfine
//! nifti_bench time IN_DIR [--gz] [--runs N] [--threads N]
//!     in-process: parse every file, then convert every series (no writing); prints the median
//!     parse, convert and total seconds
//! nifti_bench levels FILE.nii
//!     compress FILE at levels 1-6 as the converter does (1: Huffman-only, 2-6: zlib-rs) and
//!     at zlib-rs' level 1: MB/s and ratio
//! ```
//! `--threads 1` (default) is single-threaded like `dcm2niix -z n`; more threads convert series
//! in parallel (rayon), as the import pipeline may.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use dicom::{convert_series, NiftiOptions};
use dicom_dictionary_std::tags;
use dicom_object::{open_file, DefaultDicomObject};
use rayon::prelude::*;

fn dicom_files(root: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = walkdir::WalkDir::new(root)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .filter(|p| {
            !p.file_name()
                .is_some_and(|n| n.to_string_lossy().ends_with(".tsv"))
        })
        .collect();
    v.sort();
    v
}

/// Parse files; group by SeriesInstanceUID (files that do not parse are skipped).
fn parse_grouped(
    files: &[PathBuf],
    threads: usize,
) -> BTreeMap<String, Vec<(PathBuf, DefaultDicomObject)>> {
    let parse = |p: &PathBuf| open_file(p).ok().map(|o| (p.clone(), o));
    let objs: Vec<(PathBuf, DefaultDicomObject)> = if threads > 1 {
        files.par_iter().filter_map(parse).collect()
    } else {
        files.iter().filter_map(parse).collect()
    };
    let mut groups: BTreeMap<String, Vec<_>> = BTreeMap::new();
    for (p, o) in objs {
        let uid = o
            .element(tags::SERIES_INSTANCE_UID)
            .ok()
            .and_then(|e| e.to_str().ok().map(|s| s.to_string()))
            .unwrap_or_default();
        groups.entry(uid).or_default().push((p, o));
    }
    groups
}

fn arg_value(args: &[String], name: &str) -> Option<usize> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let gz = args.iter().any(|a| a == "--gz");
    let opts = NiftiOptions {
        gzip: gz,
        allow_unknown_geometry: args.iter().any(|a| a == "--allow-unknown-geometry"),
        ..NiftiOptions::default()
    };
    match args.first().map(String::as_str) {
        Some("levels") => {
            let raw = std::fs::read(&args[1]).unwrap();
            for level in 1..=6 {
                let t = Instant::now();
                let out = dicom::gzip_nifti(&raw, level).unwrap();
                let s = t.elapsed().as_secs_f64();
                println!(
                    "{}",
                    serde_json::json!({"level": level, "mb_per_s": raw.len() as f64 / 1e6 / s,
                        "ratio": out.len() as f64 / raw.len() as f64})
                );
            }
            // zlib's level 1 and Huffman-only strategy, for comparison with ours.
            use std::io::Write;
            let t = Instant::now();
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(1));
            e.write_all(&raw).unwrap();
            let out = e.finish().unwrap();
            let s = t.elapsed().as_secs_f64();
            println!(
                "{}",
                serde_json::json!({"level": "zlib-rs 1", "mb_per_s": raw.len() as f64 / 1e6 / s,
                    "ratio": out.len() as f64 / raw.len() as f64})
            );
        }
        Some("run") => {
            let input = PathBuf::from(&args[1]);
            let out = PathBuf::from(&args[2]);
            let threads = arg_value(&args, "--threads").unwrap_or(1);
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build_global()
                .unwrap();
            std::fs::create_dir_all(&out).unwrap();
            let groups = parse_grouped(&dicom_files(&input), threads);
            let series: Vec<(usize, Vec<&DefaultDicomObject>)> = groups
                .values()
                .enumerate()
                .map(|(n, m)| (n, m.iter().map(|(_, o)| o).collect()))
                .collect();
            let write = |(n, objs): &(usize, Vec<&DefaultDicomObject>)| {
                if let Ok(c) = convert_series(objs, &opts) {
                    std::fs::write(out.join(format!("{n:03}{}", c.extension())), &c.bytes).unwrap();
                    std::fs::write(
                        out.join(format!("{n:03}.json")),
                        serde_json::to_vec_pretty(&c.sidecar).unwrap(),
                    )
                    .unwrap();
                }
            };
            if threads > 1 {
                series.par_iter().for_each(write);
            } else {
                series.iter().for_each(write);
            }
        }
        Some("convert") => {
            let input = PathBuf::from(&args[1]);
            let out = PathBuf::from(&args[2]);
            std::fs::create_dir_all(&out).unwrap();
            let groups = parse_grouped(&dicom_files(&input), 1);
            for (n, (_uid, members)) in groups.iter().enumerate() {
                let objs: Vec<&DefaultDicomObject> = members.iter().map(|(_, o)| o).collect();
                let folder = members[0]
                    .0
                    .parent()
                    .and_then(|p| p.file_name())
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let name = format!("{n:02}_{folder}");
                match convert_series(&objs, &opts) {
                    Ok(c) => {
                        let nii = out.join(format!("{name}{}", c.extension()));
                        std::fs::write(&nii, &c.bytes).unwrap();
                        std::fs::write(
                            out.join(format!("{name}.json")),
                            serde_json::to_vec_pretty(&c.sidecar).unwrap(),
                        )
                        .unwrap();
                        println!(
                            "{}",
                            serde_json::json!({"series": name, "files": objs.len(), "nifti": nii,
                                "shape": c.shape, "voxel_size": c.voxel_size, "datatype": c.datatype,
                                "geometry": c.geometry})
                        );
                    }
                    Err(e) => println!(
                        "{}",
                        serde_json::json!({"series": name, "files": objs.len(),
                            "not_converted": e.code(), "reason": e.to_string()})
                    ),
                }
            }
        }
        Some("time") => {
            let input = PathBuf::from(&args[1]);
            let runs = arg_value(&args, "--runs").unwrap_or(5);
            let threads = arg_value(&args, "--threads").unwrap_or(1);
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build_global()
                .unwrap();
            let files = dicom_files(&input);
            let mut results = Vec::new();
            for _ in 0..runs {
                let t0 = Instant::now();
                let groups = parse_grouped(&files, threads);
                let t1 = Instant::now();
                let series: Vec<Vec<&DefaultDicomObject>> = groups
                    .values()
                    .map(|m| m.iter().map(|(_, o)| o).collect())
                    .collect();
                let convert = |objs: &Vec<&DefaultDicomObject>| {
                    convert_series(objs, &opts)
                        .map(|c| c.bytes.len())
                        .unwrap_or(0)
                };
                let bytes: usize = if threads > 1 {
                    series.par_iter().map(convert).sum()
                } else {
                    series.iter().map(convert).sum()
                };
                let t2 = Instant::now();
                results.push((
                    (t1 - t0).as_secs_f64(),
                    (t2 - t1).as_secs_f64(),
                    (t2 - t0).as_secs_f64(),
                    bytes,
                ));
            }
            let median = |f: fn(&(f64, f64, f64, usize)) -> f64| {
                let mut v: Vec<f64> = results.iter().map(f).collect();
                v.sort_by(f64::total_cmp);
                v[v.len() / 2]
            };
            println!(
                "{}",
                serde_json::json!({
                    "files": files.len(), "gzip": gz, "threads": threads, "runs": runs,
                    "parse_s": median(|r| r.0), "convert_s": median(|r| r.1),
                    "total_s": median(|r| r.2), "output_bytes": results[0].3,
                })
            );
        }
        _ => {
            eprintln!("usage: nifti_bench convert|run IN OUT [--gz] [--threads N] | time IN [--gz] [--runs N] [--threads N]");
            std::process::exit(2);
        }
    }
}
