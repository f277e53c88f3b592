//! `neurofed sample`: write the demo corpus. Wiring only: the generator is `neurofed-sample`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use sample::{SampleOptions, SampleSize};

/// Arguments of `neurofed sample`.
#[derive(Debug, clap::Args)]
pub struct SampleArgs {
    /// Folder to write (created if missing; a sample corpus written there before is replaced,
    /// any other content is refused).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Subjects (one top-level folder each).
    #[arg(long, default_value_t = 3)]
    subjects: u32,
    /// Examinations per subject.
    #[arg(long, default_value_t = 2)]
    examinations: u32,
    /// Everything (names, dates, UIDs, anatomy, noise) derives from it.
    #[arg(long, default_value_t = sample::DEFAULT_SEED)]
    seed: u64,
    /// Coarse matrices (about 4 times fewer pixels per axis), for tests and quick looks.
    #[arg(long)]
    small: bool,
    /// Print one JSON object with the summary.
    #[arg(long)]
    json: bool,
}

pub fn run(a: SampleArgs) -> anyhow::Result<ExitCode> {
    let size = if a.small {
        SampleSize::Small
    } else {
        SampleSize::Full
    };
    let opts = SampleOptions::new(a.subjects, a.examinations)
        .with_seed(a.seed)
        .with_size(size);
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("writing {bar:30} {pos}/{len} files {percent}%  ETA {eta}")
            .context("progress template")?,
    );
    let summary = sample::write_sample(&a.out, &opts, &mut |done, total| {
        bar.set_length(total);
        bar.set_position(done);
    });
    bar.finish_and_clear();
    let s = summary?;
    if a.json {
        crate::out::json(&s)?;
        return Ok(ExitCode::SUCCESS);
    }
    crate::outln!(
        "Wrote {} images ({} series, {} subjects, {} examinations) to {}: {} files, {} in {:.1} s.",
        s.instances,
        s.series,
        s.subjects,
        s.examinations,
        s.out.display(),
        s.files,
        crate::out::human_bytes(s.bytes),
        s.seconds
    )?;
    crate::outln!(
        "Fake PHI is planted in every header; `neurofed import {}` removes it (`neurofed demo --corpus {}` runs the demo on it).",
        s.out.display(),
        s.out.display()
    )?;
    Ok(ExitCode::SUCCESS)
}
