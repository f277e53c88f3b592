//! `neurofed upload`: a workstation without a node of its own feeds a study of a remote node.
//!
//! 1. The study's profile and scoped keys come from the node (`GET .../upload`, the `import`
//!    right), so the workstation's de-identifier writes exactly what the node's own import would
//!    (same pseudonyms, date offsets, UIDs).
//! 2. Every input (files, folders, DICOMDIR trees, zips: what `neurofed import` reads) is
//!    de-identified here, re-encoded and hashed (blake3); the de-identified copy waits in a
//!    private temporary folder. The originals are never sent.
//! 3. The node says which blobs it lacks (`.../upload/missing`); only those are sent
//!    (`PUT .../upload/blobs/{blake3}`, verified there as they stream). De-identification is
//!    deterministic, so an upload run again after an interruption finds the same hashes and
//!    sends only what had not arrived.
//! 4. Each series is committed (`.../upload/commit`): the node imports it through its pipeline.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use dicom_dictionary_std::tags;
use node::SkippedFile;
use serde::Serialize;

use super::{ApiClient, ClientError};
use crate::api::upload::{
    BlobStored, CommitRequest, MissingAnswer, MissingRequest, UploadInstance, UploadKeys,
};

/// Instances per `missing` request.
const MISSING_CHUNK: usize = 2000;
/// Blobs per `commit` request (the node takes at most 5000).
const COMMIT_CHUNK: usize = 2000;
/// Attempts per blob when the link breaks.
const ATTEMPTS: u32 = 4;

/// What an upload is doing, for a progress display.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadStage {
    /// De-identifying the inputs (counted in inputs; the total is not known in advance).
    DeIdentifying,
    /// Sending the blobs the node lacks (counted in bytes).
    Sending,
    /// Committing series (counted in series).
    Committing,
}

/// Receives an upload's progress. Never given a path or a value: only counts.
pub trait UploadProgress: Sync {
    /// A stage begins with `total` steps (0: unknown).
    fn stage(&self, _stage: UploadStage, _total: u64) {}
    /// `n` more steps of the current stage are done.
    fn advance(&self, _n: u64) {}
}

/// An [`UploadProgress`] that shows nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoUploadProgress;
impl UploadProgress for NoUploadProgress {}

/// What `neurofed upload` did (`--json` prints it).
#[derive(Debug, Clone, Default, Serialize)]
pub struct UploadReport {
    /// The study (id).
    pub study: String,
    /// The study's name.
    pub study_name: String,
    /// Inputs read.
    pub files: u64,
    /// Distinct de-identified instances.
    pub instances: u64,
    /// Their series.
    pub series: u64,
    /// Inputs not uploaded (unreadable, not DICOM, cannot be de-identified), with the reason;
    /// the paths are this workstation's own and go nowhere else.
    pub skipped: Vec<SkippedFile>,
    /// Blobs sent by this run.
    pub sent: u64,
    /// Their bytes.
    pub sent_bytes: u64,
    /// Blobs the node already held, waiting for their commit (an earlier, interrupted run).
    pub already_sent: u64,
    /// Instances the study already held (nothing sent or committed).
    pub already_imported: u64,
    /// Instances the node imported.
    pub imported: u64,
    /// Instances the node found it already had.
    pub duplicates: u64,
    /// Instances the node refused at commit, by blob hash, with the reason.
    pub refused: Vec<SkippedFile>,
    /// Series the node converted to NIfTI.
    pub nifti: u64,
    /// Wall time, seconds.
    pub seconds: f64,
    /// Of which reading and de-identifying here.
    pub deidentify_seconds: f64,
    /// Asking what is missing and sending it.
    pub send_seconds: f64,
    /// The node's imports of the series.
    pub commit_seconds: f64,
}

/// One de-identified instance waiting in the local folder.
#[derive(Debug, Clone)]
struct Prepared {
    series: String,
    sop: String,
    blob: String,
    size: u64,
}

/// The import summary's fields this client reads.
#[derive(Debug, serde::Deserialize)]
struct Committed {
    instances: u64,
    duplicates: u64,
    nifti: u64,
    skipped: Vec<CommitSkipped>,
}

#[derive(Debug, serde::Deserialize)]
struct CommitSkipped {
    path: String,
    reason: String,
}

impl ApiClient {
    /// Upload `paths` into `study` (id or name) of the node: de-identified here, sent by hash,
    /// committed per series. `threads` de-identify in parallel (0: one per core).
    pub fn upload(
        &self,
        study: &str,
        paths: &[PathBuf],
        threads: usize,
        progress: &dyn UploadProgress,
    ) -> Result<UploadReport, ClientError> {
        let started = Instant::now();
        if self.base.starts_with("https://") {
            return Err(ClientError::BadAnswer {
                node: self.base.clone(),
                detail: "this build speaks plain HTTP only (no TLS): reach the node through a \
                         tunnel (ssh -L) or on a trusted network with http://"
                    .into(),
            });
        }
        let study_path = format!("/api/v1/studies/{}", enc(study));
        let keys: UploadKeys = self.get_json(&format!("{study_path}/upload"))?;
        let bad = |detail: String| ClientError::BadAnswer {
            node: self.base.clone(),
            detail,
        };
        let profile: dicom::Profile = serde_json::from_value(keys.profile.clone())
            .map_err(|e| bad(format!("the study's profile: {e}")))?;
        let scoped = keys
            .keys
            .keys()
            .ok_or_else(|| bad("the study's keys are not 64 hex digits each".into()))?;
        let deid = dicom::Deidentifier::from_scoped(profile, &scoped);
        let work = tempfile::Builder::new()
            .prefix("neurofed-upload-")
            .tempdir()
            .map_err(|e| ClientError::Io {
                path: std::env::temp_dir(),
                source: e,
            })?;
        let mut report = UploadReport {
            study: keys.study.clone(),
            study_name: keys.name.clone(),
            ..UploadReport::default()
        };

        // 1. De-identify everything here.
        progress.stage(UploadStage::DeIdentifying, 0);
        let prepared = prepare(
            paths,
            &deid,
            work.path(),
            keys.max_blob_bytes,
            threads,
            progress,
            &mut report,
        )?;
        let mut series: BTreeMap<&str, Vec<&Prepared>> = BTreeMap::new();
        for p in &prepared {
            series.entry(p.series.as_str()).or_default().push(p);
        }
        report.instances = prepared.len() as u64;
        report.series = series.len() as u64;
        report.deidentify_seconds = started.elapsed().as_secs_f64();
        let sending = Instant::now();

        // 2. Which the node lacks.
        let study_path = format!("/api/v1/studies/{}", keys.study);
        let mut missing = HashSet::new();
        let mut imported = HashSet::new();
        for chunk in prepared.chunks(MISSING_CHUNK) {
            let req = MissingRequest {
                instances: chunk
                    .iter()
                    .map(|p| UploadInstance {
                        blob: p.blob.clone(),
                        sop: p.sop.clone(),
                    })
                    .collect(),
            };
            let a: MissingAnswer = self.post_json(&format!("{study_path}/upload/missing"), &req)?;
            missing.extend(a.missing);
            imported.extend(a.imported);
        }
        report.already_imported = imported.len() as u64;
        report.already_sent = (prepared.len() - missing.len() - imported.len()) as u64;

        // 3. Send those.
        let to_send: Vec<&Prepared> = prepared
            .iter()
            .filter(|p| missing.contains(&p.blob))
            .collect();
        progress.stage(UploadStage::Sending, to_send.iter().map(|p| p.size).sum());
        for p in to_send {
            let file = work.path().join(&p.blob);
            let bytes = std::fs::read(&file).map_err(|e| ClientError::Io {
                path: file.clone(),
                source: e,
            })?;
            self.put_blob(&format!("{study_path}/upload/blobs/{}", p.blob), &bytes)?;
            report.sent += 1;
            report.sent_bytes += p.size;
            progress.advance(p.size);
        }

        report.send_seconds = sending.elapsed().as_secs_f64();
        let committing = Instant::now();

        // 4. Commit each series.
        progress.stage(UploadStage::Committing, series.len() as u64);
        for instances in series.values() {
            let blobs: Vec<String> = instances
                .iter()
                .filter(|p| !imported.contains(&p.blob))
                .map(|p| p.blob.clone())
                .collect();
            for chunk in blobs.chunks(COMMIT_CHUNK) {
                let c: Committed = self.post_json(
                    &format!("{study_path}/upload/commit"),
                    &CommitRequest {
                        blobs: chunk.to_vec(),
                    },
                )?;
                report.imported += c.instances;
                report.duplicates += c.duplicates;
                report.nifti += c.nifti;
                report
                    .refused
                    .extend(c.skipped.into_iter().map(|s| SkippedFile {
                        path: s.path,
                        reason: s.reason,
                    }));
            }
            progress.advance(1);
        }
        report.commit_seconds = committing.elapsed().as_secs_f64();
        report.seconds = started.elapsed().as_secs_f64();
        Ok(report)
    }

    fn get_json<T: serde::de::DeserializeOwned>(&self, path: &str) -> Result<T, ClientError> {
        let resp = self
            .auth(ureq::get(&self.url(path)))
            .config()
            .http_status_as_error(false)
            .build()
            .call()
            .map_err(|e| self.unreachable(e))?;
        self.read(resp)
    }

    fn post_json<B: Serialize, T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, ClientError> {
        let resp = self
            .auth(ureq::post(&self.url(path)))
            .config()
            .http_status_as_error(false)
            .build()
            .send_json(body)
            .map_err(|e| self.unreachable(e))?;
        self.read(resp)
    }

    /// One blob, retried with a growing pause when the link breaks (not when the node refuses).
    fn put_blob(&self, path: &str, bytes: &[u8]) -> Result<(), ClientError> {
        let mut pause = Duration::from_millis(500);
        let mut attempt = 1;
        loop {
            let sent = self
                .auth(ureq::put(&self.url(path)).header("Content-Type", "application/dicom"))
                .config()
                .http_status_as_error(false)
                .build()
                .send(bytes);
            match sent {
                Ok(resp) => return self.read::<BlobStored>(resp).map(|_| ()),
                Err(e) if attempt >= ATTEMPTS => return Err(self.unreachable(e)),
                Err(_) => {
                    std::thread::sleep(pause);
                    pause *= 2;
                    attempt += 1;
                }
            }
        }
    }
}

/// A path segment, percent-encoded.
fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

/// De-identify every input of `paths` into `dir` (`<blake3>` files), `threads` at a time.
fn prepare(
    paths: &[PathBuf],
    deid: &dicom::Deidentifier,
    dir: &Path,
    max_blob: u64,
    threads: usize,
    progress: &dyn UploadProgress,
    report: &mut UploadReport,
) -> Result<Vec<Prepared>, ClientError> {
    let threads = match threads {
        0 => std::thread::available_parallelism().map_or(2, |n| n.get()),
        n => n,
    };
    let inputs = Mutex::new(node::read_sources(paths));
    let results: Mutex<(Vec<Prepared>, Vec<SkippedFile>, u64)> =
        Mutex::new((Vec::new(), Vec::new(), 0));
    let failure: Mutex<Option<ClientError>> = Mutex::new(None);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| loop {
                let next = match inputs.lock() {
                    Ok(mut it) => it.next(),
                    Err(_) => None,
                };
                let Some(item) = next else { break };
                let outcome = match item {
                    Ok((label, bytes)) => match one(deid, &bytes, dir, max_blob) {
                        Ok(p) => Ok(p),
                        Err(One::Skip(reason)) => Err(SkippedFile {
                            path: label,
                            reason,
                        }),
                        Err(One::Io(e)) => {
                            if let Ok(mut f) = failure.lock() {
                                f.get_or_insert(e);
                            }
                            break;
                        }
                    },
                    Err(skipped) => Err(skipped),
                };
                progress.advance(1);
                if let Ok(mut r) = results.lock() {
                    r.2 += 1;
                    match outcome {
                        Ok(p) => r.0.push(p),
                        Err(s) => r.1.push(s),
                    }
                }
            });
        }
    });
    if let Some(e) = failure.into_inner().ok().flatten() {
        return Err(e);
    }
    let (mut prepared, skipped, files) = results.into_inner().unwrap_or_default();
    // The same instance twice (the same file in two places): once.
    prepared.sort_by(|a, b| (&a.series, &a.sop).cmp(&(&b.series, &b.sop)));
    let mut seen = HashSet::new();
    prepared.retain(|p| seen.insert(p.sop.clone()));
    report.files = files;
    report.skipped = skipped;
    report.skipped.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(prepared)
}

enum One {
    Skip(String),
    Io(ClientError),
}

/// Read, de-identify, re-encode and hash one input; keep the result as `dir/<blake3>`.
fn one(
    deid: &dicom::Deidentifier,
    bytes: &[u8],
    dir: &Path,
    max_blob: u64,
) -> Result<Prepared, One> {
    let mut obj = dicom::read(bytes)
        .map_err(|e| One::Skip(e.to_string()))?
        .obj;
    let Some(_) = dicom::text(&obj, tags::SOP_INSTANCE_UID) else {
        return Err(One::Skip(
            "no SOPInstanceUID: not a storable instance".into(),
        ));
    };
    deid.deidentify(&mut obj)
        .map_err(|e| One::Skip(e.to_string()))?;
    let sop = dicom::text(&obj, tags::SOP_INSTANCE_UID).unwrap_or_default();
    let series = dicom::text(&obj, tags::SERIES_INSTANCE_UID)
        .ok_or_else(|| One::Skip("no SeriesInstanceUID".into()))?;
    let mut out = Vec::with_capacity(bytes.len() + 4096);
    obj.write_all(&mut out)
        .map_err(|e| One::Skip(format!("cannot re-encode the de-identified object: {e}")))?;
    if out.len() as u64 > max_blob {
        return Err(One::Skip(format!(
            "{} bytes once de-identified, more than the node takes ({max_blob})",
            out.len()
        )));
    }
    let blob = protocol::ContentId::of(&out).to_hex();
    let path = dir.join(&blob);
    if !path.exists() {
        std::fs::write(&path, &out).map_err(|e| {
            One::Io(ClientError::Io {
                path: path.clone(),
                source: e,
            })
        })?;
    }
    Ok(Prepared {
        series,
        sop,
        blob,
        size: out.len() as u64,
    })
}
