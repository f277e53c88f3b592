//! The import pipeline.
//!
//! ```text
//! expand(paths) ─► queue ─► N workers ─────────► queue ─► collector ─────► queue(1) ─► committer
//!  (walker)                 read, guard, parse,          (caller's        per batch: stage manifests,
//!                           dedup check, de-identify,    thread) groups   make the batch durable
//!                           extract, re-encode, hash,    records into     (store.commit), then one
//!                           stage the blob               series, batches  catalog txn per series
//! ```
//! A worker also decides, on the original header, whether the pixels may carry burned-in text
//! (`dicom::apply_pixel_rules`): such an instance is de-identified like any other, then written to
//! `quarantine/` and recorded in the catalog's quarantine ([`QuarantineEntry`]) instead of being
//! staged, so it never reaches a dataset, the index or an export.
//!
//! The committer runs beside the workers, so the disk flush of one batch overlaps with the
//! parsing and de-identification of the next. Memory stays flat: every queue is bounded, a worker
//! holds one file at a time, and only small per-instance records of at most two batches (the one
//! being filled, the one being committed) are kept.
//!
//! Ordering that keeps the node consistent whatever the moment of a crash: blobs are written to
//! the store's staging area, made durable together, and only then does the catalog transaction
//! that references them commit. A crash before the commit leaves unreferenced blobs (garbage that
//! `fsck --gc` removes), never a catalog entry without its bytes. Re-importing is a no-op because
//! de-identification is deterministic per study: the de-identified SOPInstanceUID of an instance
//! already recorded is found in the catalog before any work is done.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use crossbeam_channel::bounded;
use dicom_dictionary_std::tags;
use protocol::id::StudyId;
use serde::Serialize;

use dicom_object::InMemDicomObject;

use super::reapply::series_fields;
use super::source::{self, Input, Unreadable};
use dicom::Deidentifier;
use dicom::InstanceMeta;
use protocol::id::DatasetId;

use super::error::ImportError;
use crate::catalog::{Manifest, ManifestEntry, NewEquipment, QuarantineEntry, SeriesCommit};
use crate::node::Node;
use crate::store::Staged;
use dicom::NiftiOptions;
use dicom::{evaluate_study, reject, AcquisitionCards, Assignments, VersionedCard};

use crate::clock::now as unix_now;

/// What to import and how.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// Target study name (created if missing); `None`: the configured default.
    pub study: Option<String>,
    /// De-identification profile for a new study; `None`: the configured default.
    pub profile: Option<String>,
    /// Worker threads; 0: the configured value, else one per core.
    pub threads: usize,
    /// Instances per durability batch; 0: the configured value.
    pub batch_instances: usize,
    /// Skip series that a quality card grades `fail`.
    pub reject_failed: bool,
    /// Who imports, for the audit log (`None`: the local operator, "cli").
    pub actor: Option<String>,
    /// The inputs were de-identified for this study on a workstation (`neurofed upload`, with
    /// the study's scoped keys): each must carry this profile's marks and a pseudonym
    /// ([`dicom::Deidentifier::check_marked`]) and is not de-identified a second time (which
    /// would remap its UIDs again); one without the marks is skipped.
    pub deidentified: bool,
    /// Released from quarantine by a study manager (`neurofed quarantine release`): the pixel
    /// check ([`dicom::pixel_risk`]) is not run on these inputs.
    pub skip_pixel_check: bool,
}

/// Receives progress while an import runs (from the collector and the committer threads).
pub trait Progress: Sync {
    /// Whether to count the inputs for [`Progress::inputs_total`]: counting walks the sources a
    /// second time (and decompresses zip entries again), so only a visible bar asks for it.
    fn wants_total(&self) -> bool {
        false
    }
    /// The import has `total` inputs (counted beside the import, so this may come late or, for
    /// an import quicker than the count, never).
    fn inputs_total(&self, _total: u64) {}
    /// One input finished (stored, duplicate or skipped).
    fn input_done(&self) {}
    /// A batch is being made durable and committed.
    fn committing(&self, _instances: usize) {}
    /// Series are being converted to NIfTI.
    fn converting(&self, _series: usize) {}
}

/// A [`Progress`] that shows nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;
impl Progress for NoProgress {}

/// An input that was not imported, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SkippedFile {
    /// Path, or `archive!entry`.
    pub path: String,
    /// One-line reason.
    pub reason: String,
}

/// The result of an import (`neurofed import --json` prints it).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ImportSummary {
    /// Inputs seen (files and archive entries), whatever became of them.
    pub files: u64,
    /// Instances newly stored.
    pub instances: u64,
    /// Instances already present (in the node or earlier in this import).
    pub duplicates: u64,
    /// Series that received new instances.
    pub series: u64,
    /// Subjects that received new instances.
    pub subjects: u64,
    /// Examinations that received new instances.
    pub examinations: u64,
    /// Inputs not imported, with the reason.
    pub skipped: Vec<SkippedFile>,
    /// Series converted to NIfTI by this import.
    pub nifti: u64,
    /// Series whose NIfTI conversion was refused (the reason is on the dataset).
    pub nifti_refused: u64,
    /// Public attributes de-identification removed from the stored instances because neither
    /// Table E.1-1 nor the keep-list names them (a count over every instance, never values).
    pub removed_unlisted: u64,
    /// Instances quarantined for their pixels (stored apart, not in the datasets): `neurofed
    /// quarantine ls` lists them.
    pub quarantined: u64,
    /// The quarantined instances by reason (`dicom::QuarantineReason` names; counts, no values).
    pub quarantine_reasons: BTreeMap<String, u64>,
    /// Wall time.
    pub seconds: f64,
}

/// One de-identified instance, staged in the store, waiting for its series' commit.
#[derive(Debug)]
struct Record {
    label: String,
    staged: Staged,
    meta: InstanceMeta,
    /// The de-identified object without its pixel data: what study cards are evaluated on.
    header: Box<InMemDicomObject>,
    pseudonym: String,
    serial_hash: Option<String>,
    /// Unlisted public attributes de-identification removed from this instance.
    removed_unlisted: u32,
}

enum Outcome {
    Stored(Box<Record>),
    Duplicate,
    /// Stored apart for its pixels, recorded in the quarantine.
    Quarantined(dicom::QuarantineReason),
    /// Not processed because the import is stopping after a fatal error.
    Abandoned,
    Skipped(SkippedFile),
    Fatal(ImportError),
}

/// Records of one series in the current batch.
struct PendingSeries {
    first: InstanceMeta,
    header: Box<InMemDicomObject>,
    labels: Vec<String>,
    pseudonym: String,
    serial_hash: Option<String>,
    entries: Vec<ManifestEntry>,
    staged: Vec<Staged>,
    frames: u32,
}

/// Runs imports into one node.
#[derive(Debug)]
pub struct Importer<'n> {
    node: &'n Node,
}

impl<'n> Importer<'n> {
    /// An importer for `node`.
    pub fn new(node: &'n Node) -> Self {
        Importer { node }
    }

    /// Import `paths` (files, folders, DICOMDIR trees, zip archives).
    pub fn run(
        &self,
        paths: &[PathBuf],
        opts: &ImportOptions,
        progress: &dyn Progress,
    ) -> Result<ImportSummary, ImportError> {
        let started = Instant::now();
        let node = self.node;
        let cfg = &node.config.import;
        let study_name = opts
            .study
            .clone()
            .unwrap_or_else(|| cfg.default_study.clone());
        let profile_name = opts.profile.as_deref();
        // Resolve the profile before creating the study, so a typo creates nothing.
        let profile_for_new = node.profile(profile_name.unwrap_or(&cfg.default_profile))?;
        let (study, _) = node.catalog.ensure_study(
            &study_name,
            Some(profile_name.unwrap_or(&profile_for_new.name)),
        )?;
        let profile = node.profile(&study.profile)?;
        let deid = Deidentifier::new(profile, node.deid_keys(), &study.id.to_string());
        // One import per node at a time; under the lock, staging leftovers are garbage.
        let _lock = node.import_lock()?;
        node.store.clean_tmp()?;

        let threads = match (opts.threads, cfg.threads) {
            (0, 0) => std::thread::available_parallelism().map_or(2, |n| n.get()),
            (0, n) | (n, _) => n,
        };
        let batch = match (opts.batch_instances, cfg.batch_instances) {
            (0, 0) => 1024,
            (0, n) | (n, _) => n,
        };

        let stop = AtomicBool::new(false);
        let counted = AtomicBool::new(false);
        let (in_tx, in_rx) = bounded::<Result<Input, Unreadable>>(threads * 4);
        let (out_tx, out_rx) = bounded::<Outcome>(256);
        let (batch_tx, batch_rx) = bounded::<Vec<(String, PendingSeries)>>(1);
        let mut collector = Collector::new(node, batch);

        let totals = std::thread::scope(|s| -> Result<CommitTotals, ImportError> {
            let stop = &stop;
            let counted = &counted;
            // Counting the inputs (when asked) walks the sources a second time; it stops as soon
            // as the import is over.
            s.spawn(move || {
                if !progress.wants_total() {
                    return;
                }
                let mut n = 0u64;
                for _ in source::expand(paths) {
                    if stop.load(Ordering::Relaxed) || counted.load(Ordering::Relaxed) {
                        return;
                    }
                    n += 1;
                }
                progress.inputs_total(n);
            });
            s.spawn(move || {
                for item in source::expand(paths) {
                    if stop.load(Ordering::Relaxed) || in_tx.send(item).is_err() {
                        break;
                    }
                }
            });
            for _ in 0..threads {
                let in_rx = in_rx.clone();
                let out_tx = out_tx.clone();
                let work = Work {
                    node,
                    deid: &deid,
                    deidentified: opts.deidentified,
                    pixel_check: !opts.skip_pixel_check,
                    study: study.id,
                };
                s.spawn(move || {
                    for item in in_rx {
                        let outcome = if stop.load(Ordering::Relaxed) {
                            Outcome::Abandoned
                        } else {
                            match item {
                                Ok(input) => work.process(input),
                                Err(u) => Outcome::Skipped(SkippedFile {
                                    path: u.label,
                                    reason: u.reason,
                                }),
                            }
                        };
                        if out_tx.send(outcome).is_err() {
                            break;
                        }
                    }
                });
            }
            drop(out_tx);
            drop(in_rx);
            let mut c = Committer {
                node,
                study: study.id,
                study_name: study.name.clone(),
                center: node.catalog.node_center()?.name,
                cards: node.catalog.cards(study.id)?,
                reject_failed: opts.reject_failed,
                totals: CommitTotals::default(),
            };
            let committer = s.spawn(move || -> Result<CommitTotals, ImportError> {
                let mut failure = None;
                for batch in batch_rx {
                    if failure.is_some() {
                        for (_, p) in batch {
                            for st in p.staged {
                                let _ = node.store.discard(st);
                            }
                        }
                        continue;
                    }
                    progress.committing(batch.iter().map(|(_, p)| p.entries.len()).sum());
                    if let Err(e) = c.commit_batch(batch) {
                        stop.store(true, Ordering::Relaxed);
                        failure = Some(e);
                    }
                }
                match failure {
                    Some(e) => Err(e),
                    None => Ok(c.totals),
                }
            });
            let mut failure = None;
            for outcome in out_rx {
                progress.input_done();
                if failure.is_some() {
                    if let Outcome::Stored(r) = outcome {
                        let _ = node.store.discard(r.staged);
                    }
                    continue;
                }
                if let Some(full) = collector.accept(outcome).err_or_batch() {
                    match full {
                        Err(e) => {
                            stop.store(true, Ordering::Relaxed);
                            failure = Some(e);
                        }
                        Ok(b) => {
                            if batch_tx.send(b).is_err() {
                                stop.store(true, Ordering::Relaxed);
                            }
                        }
                    }
                }
            }
            counted.store(true, Ordering::Relaxed);
            if failure.is_none() {
                let last = collector.take_batch();
                if !last.is_empty() {
                    let _ = batch_tx.send(last);
                }
            }
            drop(batch_tx);
            let committed = committer
                .join()
                .map_err(|_| ImportError::Worker("the committer thread panicked".into()))?;
            match failure {
                Some(e) => Err(e),
                None => committed,
            }
        })?;

        // Each series once, complete: those this import touched, and any of the study still
        // waiting for a conversion (an import interrupted before this phase).
        let converted = if cfg.nifti {
            let opts = NiftiOptions {
                gzip: cfg.nifti_gzip,
                gzip_level: cfg.nifti_gzip_level,
                ..NiftiOptions::default()
            };
            progress.converting(totals.datasets.len());
            let touched: Vec<DatasetId> = totals.datasets.iter().copied().collect();
            super::convert::convert_pending(node, study.id, &touched, &opts)?
        } else {
            Default::default()
        };
        let mut summary = collector.summary;
        summary.nifti = converted.converted;
        summary.nifti_refused = converted.refused;
        // Counts only: source paths may name patients and never enter the home.
        let detail = format!(
            "{} instances, {} series, {} subjects, {} examinations; {} already present, {} files skipped, {} quarantined",
            totals.instances,
            totals.series.len(),
            totals.subjects.len(),
            totals.examinations.len(),
            summary.duplicates + totals.duplicates,
            summary.skipped.len() + totals.rejected.len(),
            summary.quarantined
        );
        node.catalog.audit().append(crate::audit::NewEvent {
            at: unix_now(),
            who: opts.actor.clone().unwrap_or_else(|| "cli".to_string()),
            action: crate::audit::AuditAction::Import,
            study: Some(study.id),
            dataset: None,
            detail,
        })?;
        summary.instances = totals.instances;
        summary.duplicates += totals.duplicates;
        summary.series = totals.series.len() as u64;
        summary.subjects = totals.subjects.len() as u64;
        summary.examinations = totals.examinations.len() as u64;
        summary.skipped.extend(totals.rejected);
        summary.seconds = started.elapsed().as_secs_f64();
        Ok(summary)
    }
}

/// What a worker needs to process an input.
struct Work<'a> {
    node: &'a Node,
    deid: &'a Deidentifier,
    deidentified: bool,
    pixel_check: bool,
    study: StudyId,
}

impl Work<'_> {
    /// The work of one input, on a worker thread.
    fn process(&self, input: Input) -> Outcome {
        let (node, deid, deidentified) = (self.node, self.deid, self.deidentified);
        let label = input.label();
        let skip = |reason: String| {
            Outcome::Skipped(SkippedFile {
                path: label.clone(),
                reason,
            })
        };
        let bytes = match input {
            Input::File(p) => match std::fs::read(&p) {
                Ok(b) => b,
                Err(e) => return skip(format!("cannot read: {e}")),
            },
            Input::Entry { bytes, .. } => bytes,
        };
        let mut obj = match dicom::read(&bytes) {
            Ok(r) => r.obj,
            Err(e) => return skip(e.to_string()),
        };
        let capacity = bytes.len() + 4096;
        drop(bytes);
        let Some(sop) = dicom::text(&obj, tags::SOP_INSTANCE_UID) else {
            return skip("no SOPInstanceUID: not a storable instance".into());
        };
        let stored_sop = if deidentified {
            sop
        } else {
            deid.map_uid(&sop)
        };
        match node.catalog.instance_exists(&stored_sop) {
            Ok(true) => return Outcome::Duplicate,
            Ok(false) => {}
            Err(e) => return Outcome::Fatal(e.into()),
        }
        // Decided on the original header (de-identification may alter what it reads); a
        // matching pixel rule blanks the pixels here, before anything is stored.
        let quarantine = if self.pixel_check {
            match dicom::apply_pixel_rules(&mut obj, deid.profile()) {
                dicom::PixelVerdict::Quarantine { reason } => {
                    // Only an instance bound for the quarantine can be there already: the
                    // catalog is asked for those alone, not for every instance.
                    let id = QuarantineEntry::id_for(&stored_sop);
                    match node.catalog.quarantine_get(&id) {
                        Ok(Some(_)) => return Outcome::Duplicate,
                        Ok(None) => Some((reason, id)),
                        Err(e) => return Outcome::Fatal(e.into()),
                    }
                }
                dicom::PixelVerdict::Clean | dicom::PixelVerdict::Blanked { .. } => None,
            }
        } else {
            None
        };
        let outcome = if deidentified {
            match deid.check_marked(&obj) {
                Ok(pseudonym) => dicom::DeidOutcome {
                    pseudonym,
                    // The workstation applied the offset; the birth year stays there.
                    date_offset_days: 0,
                    birth_year: None,
                    removed_unlisted: 0,
                },
                Err(e) => return skip(e.to_string()),
            }
        } else {
            match deid.deidentify(&mut obj) {
                Ok(o) => o,
                Err(e) => return skip(e.to_string()),
            }
        };
        let mut meta = match dicom::extract(&obj) {
            Ok(m) => m,
            Err(e) => return skip(format!("after de-identification: {e}")),
        };
        // The header keeps no birth date (a reduced one can equal a real one); the year comes
        // from de-identification when the profile retains patient characteristics.
        meta.birth_year = outcome.birth_year;
        // The catalog recognizes a scanner by a keyed hash of its (already de-identified) serial.
        let serial_hash = dicom::text(&obj, tags::DEVICE_SERIAL_NUMBER).map(|s| {
            let h = blake3::keyed_hash(&node.deid_keys().node, s.as_bytes());
            hex::encode(&h.as_bytes()[..8])
        });
        let mut out = Vec::with_capacity(capacity);
        if let Err(e) = obj.write_all(&mut out) {
            return skip(format!("cannot re-encode the de-identified object: {e}"));
        }
        if let Some((reason, id)) = quarantine {
            let entry = QuarantineEntry {
                id,
                study: self.study,
                pseudonym: outcome.pseudonym,
                series_uid: meta.series_uid,
                sop_instance_uid: meta.sop_instance_uid,
                modality: Some(meta.modality).filter(|m| !m.is_empty()),
                reason,
                at: unix_now(),
            };
            return self.quarantine(&entry, &out);
        }
        drop(obj.take(tags::PIXEL_DATA));
        match node.store.stage(&out) {
            Ok(staged) => Outcome::Stored(Box::new(Record {
                label,
                staged,
                meta,
                header: Box::new(obj.into_inner()),
                pseudonym: outcome.pseudonym,
                serial_hash,
                removed_unlisted: outcome.removed_unlisted,
            })),
            Err(e) => Outcome::Fatal(e.into()),
        }
    }

    /// Store the de-identified bytes of a quarantined instance apart (durably, before the
    /// catalog records it), then record it. The same instance twice is one entry.
    fn quarantine(&self, entry: &QuarantineEntry, bytes: &[u8]) -> Outcome {
        let home = &self.node.home;
        let path = match home.quarantine_path(&entry.id) {
            Ok(p) => p,
            Err(e) => return Outcome::Fatal(ImportError::Worker(e.to_string())),
        };
        if let Err(e) = std::fs::create_dir_all(home.quarantine_dir())
            .map_err(|e| e.to_string())
            .and_then(|()| crate::atomic::write_atomic(&path, bytes).map_err(|e| e.to_string()))
        {
            return Outcome::Fatal(ImportError::Worker(format!(
                "cannot store a quarantined instance: {e}"
            )));
        }
        match self.node.catalog.quarantine_add(entry) {
            Ok(true) => Outcome::Quarantined(entry.reason),
            Ok(false) => Outcome::Duplicate,
            Err(e) => Outcome::Fatal(e.into()),
        }
    }
}

/// What [`Collector::accept`] asks of the caller.
enum Accepted {
    /// Nothing to do.
    Ok,
    /// A batch is full: hand it to the committer.
    Batch(Vec<(String, PendingSeries)>),
    /// Stop the import.
    Fatal(ImportError),
}

impl Accepted {
    fn err_or_batch(self) -> Option<Result<Vec<(String, PendingSeries)>, ImportError>> {
        match self {
            Accepted::Ok => None,
            Accepted::Batch(b) => Some(Ok(b)),
            Accepted::Fatal(e) => Some(Err(e)),
        }
    }
}

/// Groups records into series and cuts batches (caller's thread).
struct Collector<'a> {
    node: &'a Node,
    batch: usize,
    pending: HashMap<String, PendingSeries>,
    pending_sops: HashSet<String>,
    pending_count: usize,
    summary: ImportSummary,
}

impl<'a> Collector<'a> {
    fn new(node: &'a Node, batch: usize) -> Self {
        Collector {
            node,
            batch: batch.max(1),
            pending: HashMap::new(),
            pending_sops: HashSet::new(),
            pending_count: 0,
            summary: ImportSummary::default(),
        }
    }

    fn accept(&mut self, outcome: Outcome) -> Accepted {
        match outcome {
            Outcome::Abandoned => return Accepted::Ok,
            Outcome::Duplicate => self.summary.duplicates += 1,
            Outcome::Quarantined(reason) => {
                self.summary.quarantined += 1;
                *self
                    .summary
                    .quarantine_reasons
                    .entry(reason.name().to_string())
                    .or_default() += 1;
            }
            Outcome::Skipped(s) => self.summary.skipped.push(s),
            Outcome::Fatal(e) => return Accepted::Fatal(e),
            Outcome::Stored(r) => {
                let r = *r;
                if !self.pending_sops.insert(r.meta.sop_instance_uid.clone()) {
                    // The same instance twice in this batch (the same file twice, or the same
                    // image in two transfer syntaxes): keep the first.
                    self.summary.files += 1;
                    self.summary.duplicates += 1;
                    if let Err(e) = self.node.store.discard(r.staged) {
                        return Accepted::Fatal(e.into());
                    }
                    return Accepted::Ok;
                }
                self.summary.removed_unlisted += u64::from(r.removed_unlisted);
                let entry = ManifestEntry {
                    sop_instance_uid: r.meta.sop_instance_uid.clone(),
                    instance_number: r.meta.instance_number,
                    content: r.staged.id,
                    size: r.staged.size,
                };
                let frames = r.meta.protocol.frames;
                let p = self
                    .pending
                    .entry(r.meta.series_uid.clone())
                    .or_insert_with(|| PendingSeries {
                        first: r.meta,
                        header: r.header,
                        labels: Vec::new(),
                        pseudonym: r.pseudonym,
                        serial_hash: r.serial_hash,
                        entries: Vec::new(),
                        staged: Vec::new(),
                        frames: 0,
                    });
                p.entries.push(entry);
                p.labels.push(r.label);
                p.staged.push(r.staged);
                p.frames += frames;
                self.pending_count += 1;
            }
        }
        self.summary.files += 1;
        if self.pending_count >= self.batch {
            return Accepted::Batch(self.take_batch());
        }
        Accepted::Ok
    }

    /// The pending series, sorted by series UID, leaving the collector empty.
    fn take_batch(&mut self) -> Vec<(String, PendingSeries)> {
        let mut b: Vec<(String, PendingSeries)> = self.pending.drain().collect();
        b.sort_by(|x, y| x.0.cmp(&y.0));
        self.pending_sops.clear();
        self.pending_count = 0;
        b
    }
}

/// What the committer counted.
#[derive(Debug, Default)]
struct CommitTotals {
    rejected: Vec<SkippedFile>,
    datasets: HashSet<DatasetId>,
    instances: u64,
    duplicates: u64,
    series: HashSet<[u8; 16]>,
    subjects: HashSet<[u8; 16]>,
    examinations: HashSet<[u8; 16]>,
}

/// Makes batches durable and commits them (committer thread).
struct Committer<'a> {
    node: &'a Node,
    study: StudyId,
    study_name: String,
    center: String,
    cards: Vec<VersionedCard>,
    reject_failed: bool,
    totals: CommitTotals,
}

impl Committer<'_> {
    /// Stage each series' merged manifest and NIfTI conversion, make the whole batch durable,
    /// then commit one catalog transaction per series.
    fn commit_batch(&mut self, batch: Vec<(String, PendingSeries)>) -> Result<(), ImportError> {
        let node = self.node;
        // 1. Per series: what is recorded already, the study cards, --reject-failed.
        let mut prepared = Vec::new();
        for (series_uid, p) in batch {
            let base = node.catalog.dataset_for_series(self.study, &series_uid)?;
            // Cards are evaluated once, when a series first arrives; re-applying them to
            // existing data is `studycard apply`.
            let cards = if base.is_none() {
                let fields = series_fields(&self.center, &self.study_name, &p.first);
                let outcome = evaluate_study(&self.cards, &p.header, &fields);
                if self.reject_failed {
                    if let Some(r) = reject(&outcome) {
                        for (label, st) in p.labels.into_iter().zip(p.staged) {
                            node.store.discard(st)?;
                            self.totals.rejected.push(SkippedFile {
                                path: label,
                                reason: format!("series rejected by a quality card: {}", r.reason),
                            });
                        }
                        continue;
                    }
                }
                Some(AcquisitionCards::at_import(
                    Assignments::default(),
                    &outcome,
                    Some(unix_now()),
                ))
            } else {
                None
            };
            let (mut manifest, base_id, base_frames) = match &base {
                Some(d) => {
                    let bytes = node.store.read(&d.dicom.manifest)?;
                    let m = Manifest::from_bytes(&bytes).map_err(ImportError::Manifest)?;
                    (m, Some(d.dicom.manifest), base_frames(node, d))
                }
                None => (
                    Manifest {
                        version: Manifest::VERSION,
                        series_uid: series_uid.clone(),
                        instances: Vec::new(),
                    },
                    None,
                    0,
                ),
            };
            manifest.instances.extend(p.entries.iter().cloned());
            manifest.normalize();
            prepared.push((series_uid, p, cards, manifest, base_id, base_frames));
        }

        // 2. Manifests, then the durability barrier, then the catalog. NIfTI conversion waits
        // for the end of the import (`super::convert`), when each series is complete.
        let mut staged_all = Vec::new();
        let mut commits = Vec::new();
        for (series_uid, p, cards, manifest, base_id, base_frames) in prepared {
            let mbytes = manifest.to_bytes();
            let mstaged = node.store.stage(&mbytes)?;
            let m = &p.first;
            let mut protocol = m.protocol.clone();
            protocol.frames = base_frames + p.frames;
            commits.push(SeriesCommit {
                study: self.study,
                pseudonym: p.pseudonym,
                sex: m.sex.clone(),
                birth_year: m.birth_year,
                study_uid: m.study_uid.clone(),
                exam_date: m.study_date.clone(),
                age_years: m.age_years,
                equipment: (m.manufacturer.is_some() || m.model.is_some()).then(|| NewEquipment {
                    manufacturer: m.manufacturer.clone().unwrap_or_default(),
                    model: m.model.clone().unwrap_or_default(),
                    field_strength: m.protocol.field_strength,
                    serial_hash: p.serial_hash.clone(),
                }),
                series_uid,
                modality: m.modality.clone(),
                sop_class_uid: m.sop_class_uid.clone(),
                series_number: m.series_number,
                series_description: m.series_description.clone(),
                protocol_name: m.protocol_name.clone(),
                protocol,
                instances: p.entries,
                manifest: mstaged.id,
                manifest_size: mstaged.size,
                manifest_base: base_id,
                total_instances: u32::try_from(manifest.instances.len()).unwrap_or(u32::MAX),
                total_bytes: manifest.bytes(),
                nifti: None,
                nifti_refusal: None,
                cards,
            });
            staged_all.extend(p.staged);
            staged_all.push(mstaged);
        }
        node.store.commit(staged_all)?;
        let mut touched = Vec::with_capacity(commits.len());
        for c in &commits {
            let o = node.catalog.commit_series(c)?;
            touched.push(o.dataset);
            let t = &mut self.totals;
            t.instances += u64::from(o.new_instances);
            t.duplicates += u64::from(o.duplicates);
            if o.new_instances > 0 {
                t.datasets.insert(o.dataset);
                t.series.insert(o.dataset.to_bytes());
                t.subjects.insert(o.subject.to_bytes());
                t.examinations.insert(o.examination.to_bytes());
            }
        }
        // The index is derived data: a crash here leaves it behind the catalog, and
        // `neurofed reindex` (or the next start's consistency check) catches up.
        node.index.index_datasets_from(&node.catalog, &touched)?;
        Ok(())
    }
}

/// Frames already recorded for a dataset's acquisition.
fn base_frames(node: &Node, d: &crate::catalog::Dataset) -> u32 {
    node.catalog
        .acquisition(d.acquisition)
        .ok()
        .flatten()
        .map_or(0, |a| a.protocol.frames)
}
