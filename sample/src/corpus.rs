//! [`write_sample`]: subjects, then examinations, then series, then slices, one file at a time.

use std::path::Path;
use std::time::Instant;

use chrono::{Duration, NaiveDateTime};
use dicom_dictionary_std::uids;

use crate::dicomdir::DirTree;
use crate::error::SampleError;
use crate::folder;
use crate::instance::{
    da, series_header, slice_object, tm, write_bytes, write_file, SeriesContext, Slice,
};
use crate::options::{SampleOptions, Summary};
use crate::people::{subjects, Exam, Subject};
use crate::phantom::{Anatomy, Pose};
use crate::pixels::SliceSource;
use crate::protocol::{Geometry, Kind, PROTOCOLS};
use crate::rng::Rng;
use crate::truth::{Truth, PIXEL_SOURCE};
use crate::uid::{uid, UidKind};

/// Write a sample corpus into `out` (created if missing; a previous sample corpus there is
/// replaced; any other content is refused with [`SampleError::NotEmpty`]).
///
/// `progress(done, total)` is called with the number of files written so far, first with
/// `done = 0`. Only one slice is held in memory at a time, plus the DICOMDIR records and the
/// `truth.tsv` rows (a few hundred bytes per file).
///
/// ```no_run
/// let opts = sample::SampleOptions::new(1, 1).with_size(sample::SampleSize::Small);
/// let summary = sample::write_sample("corpus".as_ref(), &opts, &mut |_, _| {})?;
/// assert_eq!(summary.series, 3);
/// # Ok::<(), sample::SampleError>(())
/// ```
pub fn write_sample(
    out: &Path,
    opts: &SampleOptions,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Summary, SampleError> {
    let started = Instant::now();
    check(out, opts)?;
    let people = subjects(opts.seed, opts.subjects, opts.examinations);
    let per_exam: u64 = PROTOCOLS
        .iter()
        .map(|p| {
            let g = Geometry::new(p.kind, opts.size);
            u64::from(g.slices) * u64::from(g.volumes)
        })
        .sum();
    let instances = per_exam * u64::from(opts.subjects) * u64::from(opts.examinations);
    let total = instances + 2;
    let mut entries: Vec<String> = people.iter().map(|s| s.pid.clone()).collect();
    entries.extend(["DICOMDIR".to_string(), "truth.tsv".to_string()]);
    let mut w = Writer {
        out,
        opts,
        dir: DirTree::default(),
        truth: Truth::default(),
        bytes: folder::prepare(out, opts, &entries)?,
        done: 0,
        total,
        progress,
    };
    (w.progress)(0, total);
    for s in &people {
        w.subject(s)?;
    }
    let images = w.dir.images() as u64;
    let series = w.truth.len() as u32;
    let dicomdir = out.join("DICOMDIR");
    let dir_uid = uid(opts.seed, UidKind::FileSet, &[u64::from(opts.subjects)]);
    w.bytes += std::mem::take(&mut w.dir).write(&dicomdir, &dir_uid)?;
    w.tick();
    let text = w.truth.text();
    write_bytes(&out.join("truth.tsv"), text.as_bytes())?;
    w.bytes += text.len() as u64;
    w.tick();
    Ok(Summary {
        out: out.to_path_buf(),
        subjects: opts.subjects,
        examinations: opts.subjects * opts.examinations,
        series,
        instances: images,
        files: images + 3,
        bytes: w.bytes,
        seconds: started.elapsed().as_secs_f64(),
    })
}

fn check(out: &Path, opts: &SampleOptions) -> Result<(), SampleError> {
    let bad = |reason: String| SampleError::InvalidOptions {
        path: out.to_path_buf(),
        reason,
    };
    if !(1..=SampleOptions::MAX_SUBJECTS).contains(&opts.subjects) {
        return Err(bad(format!(
            "subjects must be 1 to {}, not {}",
            SampleOptions::MAX_SUBJECTS,
            opts.subjects
        )));
    }
    if !(1..=SampleOptions::MAX_EXAMINATIONS).contains(&opts.examinations) {
        return Err(bad(format!(
            "examinations must be 1 to {}, not {}",
            SampleOptions::MAX_EXAMINATIONS,
            opts.examinations
        )));
    }
    Ok(())
}

struct Writer<'a> {
    out: &'a Path,
    opts: &'a SampleOptions,
    dir: DirTree,
    truth: Truth,
    bytes: u64,
    done: u64,
    total: u64,
    progress: &'a mut dyn FnMut(u64, u64),
}

impl Writer<'_> {
    fn tick(&mut self) {
        self.done += 1;
        (self.progress)(self.done, self.total);
    }

    fn subject(&mut self, s: &Subject) -> Result<(), SampleError> {
        let birth = s.birth.format("%Y%m%d").to_string();
        self.dir.patient(&s.name, &s.pid, &birth, s.sex);
        let first = s.exams.first().map_or(s.birth, |e| e.start.date());
        let age = first.years_since(s.birth).unwrap_or(40);
        let anatomy = Anatomy::new(self.opts.seed, s.idx, f64::from(age));
        for e in &s.exams {
            self.exam(s, e, &anatomy.at_exam(e.idx))?;
        }
        Ok(())
    }

    fn exam(&mut self, s: &Subject, e: &Exam, anatomy: &Anatomy) -> Result<(), SampleError> {
        let seed = self.opts.seed;
        let ids = [u64::from(s.idx), u64::from(e.idx)];
        let study_uid = uid(seed, UidKind::Study, &ids);
        let frame_uid = uid(seed, UidKind::FrameOfReference, &ids);
        let pose = Pose::new(seed, s.idx, e.idx);
        let last_exam = e.idx == self.opts.examinations;
        for p in &PROTOCOLS {
            let geometry = Geometry::new(p.kind, self.opts.size);
            let series_uid = uid(
                seed,
                UidKind::Series,
                &[ids[0], ids[1], u64::from(p.number)],
            );
            let cx = SeriesContext {
                subject: s,
                exam: e,
                protocol: p,
                geometry: &geometry,
                study_uid: &study_uid,
                series_uid: &series_uid,
                frame_uid: &frame_uid,
                start: e.start + Duration::minutes(i64::from(p.minutes)),
                last_exam,
                table: -1230 - i64::from(s.idx % 7) * 11 - i64::from(e.idx) * 3,
            };
            if p.number == PROTOCOLS[0].number {
                self.dir.study([
                    &da(e.start),
                    &tm(e.start),
                    &cx.study_description(),
                    &study_uid,
                    &e.study_id,
                    &e.accession,
                ]);
            }
            self.series(&cx, anatomy, &pose)?;
        }
        Ok(())
    }

    fn series(
        &mut self,
        cx: &SeriesContext<'_>,
        anatomy: &Anatomy,
        pose: &Pose,
    ) -> Result<(), SampleError> {
        let (s, e, p, g) = (cx.subject, cx.exam, cx.protocol, cx.geometry);
        let seed = self.opts.seed;
        let rel = [s.pid.as_str(), e.accession.as_str(), p.dir];
        let folder = rel.iter().fold(self.out.to_path_buf(), |d, c| d.join(c));
        std::fs::create_dir_all(&folder).map_err(SampleError::io(&folder))?;
        self.dir.series(
            cx.series_uid,
            &p.number.to_string(),
            &cx.series_description(),
        );
        let header = series_header(cx);
        let key = [seed, u64::from(s.idx), u64::from(e.idx)];
        let mut rng = Rng::new(&[seed, 0x4741_494E, key[1], key[2], u64::from(p.number)]);
        let phase = rng.range(0.0, std::f64::consts::TAU);
        let source = SliceSource {
            anatomy,
            pose,
            geometry: g,
            protocol: p,
            gain: rng.range(0.92, 1.08),
            phases: [phase, phase + rng.range(0.0, 0.6)],
            key,
        };
        let time_series = p.kind == Kind::Bold;
        for t in 0..g.volumes {
            for k in 0..g.slices {
                let instance = t * g.slices + k + 1;
                let offset = if time_series {
                    f64::from(t) * p.tr + g.slice_offset_ms(k, p.tr)
                } else {
                    0.0
                };
                let sop_uid = uid(
                    seed,
                    UidKind::Instance,
                    &[
                        key[1],
                        key[2],
                        u64::from(p.number),
                        u64::from(t),
                        u64::from(k),
                    ],
                );
                let slice = Slice {
                    sop_uid,
                    instance,
                    volume: t,
                    position: g.position(k),
                    normal: g.normal,
                    acquired: at(cx.start, offset),
                    time_series,
                };
                let pixels = source.slice(t, k, offset);
                let name = format!("IM{instance:04}");
                let path = folder.join(&name);
                let obj = slice_object(&header, &slice, pixels);
                self.bytes += write_file(obj, uids::MR_IMAGE_STORAGE, &slice.sop_uid, &path)?;
                self.dir
                    .image(&[rel[0], rel[1], rel[2], &name], &slice.sop_uid, instance);
                self.tick();
            }
        }
        self.truth.push(truth_row(cx, &rel.join("/")));
        Ok(())
    }
}

/// `start` plus `ms` milliseconds (microsecond precision).
fn at(start: NaiveDateTime, ms: f64) -> NaiveDateTime {
    start + Duration::microseconds((ms * 1000.0).round() as i64)
}

fn truth_row(cx: &SeriesContext<'_>, dir: &str) -> [String; 18] {
    let (s, e, p, g) = (cx.subject, cx.exam, cx.protocol, cx.geometry);
    [
        format!("sub-{:02}", s.idx),
        format!("ses-{:02}", e.idx),
        p.name.to_string(),
        dir.to_string(),
        (g.slices * g.volumes).to_string(),
        g.dims(),
        PIXEL_SOURCE.to_string(),
        s.name.clone(),
        s.pid.clone(),
        s.birth.format("%Y%m%d").to_string(),
        s.sex.to_string(),
        s.age_on(e.start.date()),
        s.site.institution.to_string(),
        e.referring.to_string(),
        e.accession.clone(),
        e.start.format("%Y%m%d").to_string(),
        cx.study_uid.to_string(),
        cx.series_uid.to_string(),
    ]
}
