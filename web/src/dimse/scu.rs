//! The node as a DIMSE client of a configured PACS (`[pacs.NAME]` in `config.toml`): C-ECHO,
//! C-FIND (Study Root, STUDY and SERIES levels) and C-GET of a series, whose instances arrive
//! as C-STORE sub-operations over the same association (the storage SOP classes proposed with
//! the SCP role) and are spooled as Part 10 files for the import pipeline. The spooled files
//! are the PACS's originals (identifying): the caller keeps them outside the home and imports
//! them, which de-identifies them, before removing them.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use dicom_ul::association::Error as UlError;
use dicom_ul::pdu::{PDataValue, PDataValueType};
use dicom_ul::{ClientAssociationOptions, Pdu};
use node::Config;
use serde::Serialize;

use super::{
    accepted_contexts, find, part10_header, send_command, send_data, store_response, ui_element,
    us_element, with_group_length, Command, C_ECHO_RQ, C_FIND_RQ, C_GET_RQ, C_STORE_RQ, PENDING,
    SUCCESS, VERIFICATION,
};

const STUDY_ROOT_FIND: &str = "1.2.840.10008.5.1.4.1.2.2.1";
const STUDY_ROOT_GET: &str = "1.2.840.10008.5.1.4.1.2.2.3";
const EXPLICIT_LE: &str = "1.2.840.10008.1.2.1";
const IMPLICIT_LE: &str = "1.2.840.10008.1.2";
/// Pending with warnings (optional keys not supported), a C-FIND-RSP's other pending status.
const PENDING_WARNING: u16 = 0xFF01;
/// Most bytes of one C-FIND answer.
const MAX_IDENTIFIER_BYTES: usize = 1 << 20;

/// Storage SOP classes proposed (SCP role) for C-GET: the image classes of neuroimaging.
const STORAGE_CLASSES: &[&str] = &[
    "1.2.840.10008.5.1.4.1.1.4",     // MR Image
    "1.2.840.10008.5.1.4.1.1.4.1",   // Enhanced MR Image
    "1.2.840.10008.5.1.4.1.1.4.2",   // MR Spectroscopy
    "1.2.840.10008.5.1.4.1.1.4.3",   // Enhanced MR Color Image
    "1.2.840.10008.5.1.4.1.1.2",     // CT Image
    "1.2.840.10008.5.1.4.1.1.2.1",   // Enhanced CT Image
    "1.2.840.10008.5.1.4.1.1.128",   // PET Image
    "1.2.840.10008.5.1.4.1.1.130",   // Enhanced PET Image
    "1.2.840.10008.5.1.4.1.1.20",    // NM Image
    "1.2.840.10008.5.1.4.1.1.7",     // Secondary Capture
    "1.2.840.10008.5.1.4.1.1.7.2",   // Multi-frame Grayscale Byte SC
    "1.2.840.10008.5.1.4.1.1.7.3",   // Multi-frame Grayscale Word SC
    "1.2.840.10008.5.1.4.1.1.7.4",   // Multi-frame True Color SC
    "1.2.840.10008.5.1.4.1.1.66",    // Raw Data
    "1.2.840.10008.5.1.4.1.1.66.4",  // Segmentation
    "1.2.840.10008.5.1.4.1.1.88.11", // Basic Text SR
    "1.2.840.10008.5.1.4.1.1.88.22", // Enhanced SR
    "1.2.840.10008.5.1.4.1.1.11.1",  // Grayscale Softcopy Presentation State
    "1.2.840.10008.5.1.4.1.1.481.1", // RT Image
    "1.2.840.10008.5.1.4.1.1.1",     // Computed Radiography
    "1.2.840.10008.5.1.4.1.1.12.1",  // X-Ray Angiographic
    "1.2.840.10008.5.1.4.1.1.6.1",   // Ultrasound
];

/// Why talking to a PACS failed (one line each, naming the PACS, its address and AE titles).
#[derive(Debug, thiserror::Error)]
pub enum PacsError {
    /// No `[pacs.NAME]` of that name.
    #[error("no PACS named {name:?} in config.toml ([pacs.NAME]); configured: {}", list(.configured))]
    Unknown {
        /// The name asked for.
        name: String,
        /// The configured names.
        configured: Vec<String>,
    },
    /// The TCP connection failed (refused, unreachable, timed out).
    #[error("PACS {name}: cannot connect to {addr} (calling AE {calling}, called AE {called}): {reason}")]
    Connect {
        /// The PACS's name.
        name: String,
        /// host:port.
        addr: String,
        /// Our AE title.
        calling: String,
        /// The PACS's AE title.
        called: String,
        /// Why.
        reason: String,
    },
    /// The PACS rejected the association.
    #[error("PACS {name} at {addr} rejected the association (calling AE {calling}, called AE {called}): {reason}")]
    Rejected {
        /// The PACS's name.
        name: String,
        /// host:port.
        addr: String,
        /// Our AE title.
        calling: String,
        /// The PACS's AE title.
        called: String,
        /// The rejection's reason.
        reason: String,
    },
    /// The PACS answered a request with a failure status.
    #[error("PACS {name}: {operation} failed with status 0x{status:04X}")]
    Status {
        /// The PACS's name.
        name: String,
        /// C-ECHO, C-FIND, C-GET.
        operation: &'static str,
        /// The DIMSE status.
        status: u16,
    },
    /// The association broke or the PACS broke the protocol.
    #[error("PACS {name}: {reason}")]
    Protocol {
        /// The PACS's name.
        name: String,
        /// What happened.
        reason: String,
    },
    /// Writing a received instance failed.
    #[error("spooling a received instance: {0}")]
    Spool(#[from] std::io::Error),
}

fn list(names: &[String]) -> String {
    if names.is_empty() {
        "none".into()
    } else {
        names.join(", ")
    }
}

/// What to look for on a PACS (C-FIND matching keys; absent: universal).
#[derive(Debug, Clone, Default)]
pub struct PacsQuery {
    /// PatientID (wildcards `*`, `?` as the PACS takes them).
    pub patient_id: Option<String>,
    /// StudyDate: `YYYYMMDD`, `YYYYMMDD-YYYYMMDD`, `-YYYYMMDD`, `YYYYMMDD-`.
    pub study_date: Option<String>,
    /// Modality (of a series; ModalitiesInStudy at the study level).
    pub modality: Option<String>,
    /// StudyInstanceUID.
    pub study_uid: Option<String>,
}

/// The level of a C-FIND.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PacsLevel {
    /// One answer per study.
    Study,
    /// One answer per series.
    Series,
}

/// One C-FIND answer.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PacsMatch {
    /// PatientID as the PACS holds it.
    pub patient_id: String,
    /// StudyInstanceUID.
    pub study_uid: String,
    /// StudyDate.
    pub study_date: String,
    /// StudyDescription.
    pub study_description: String,
    /// SeriesInstanceUID (series level).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub series_uid: Option<String>,
    /// SeriesNumber (series level).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub series_number: Option<String>,
    /// SeriesDescription (series level).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub series_description: Option<String>,
    /// Modality (series level) or ModalitiesInStudy (study level).
    pub modality: String,
    /// Number of instances the PACS says the study or series has, when it says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instances: Option<u32>,
}

/// How a C-GET went (its final counts, and the files spooled).
#[derive(Debug, Clone, Default, Serialize)]
pub struct GetOutcome {
    /// Instances received and spooled.
    pub received: u32,
    /// Sub-operations the PACS counts as failed.
    pub failed: u32,
    /// Sub-operations with warnings.
    pub warning: u32,
    /// The spooled Part 10 files.
    #[serde(skip)]
    pub files: Vec<PathBuf>,
}

/// A configured PACS and how the node calls it.
#[derive(Debug, Clone)]
pub struct Pacs {
    name: String,
    called: String,
    addr: String,
    calling: String,
    max_pdu: u32,
    timeout: Duration,
}

/// An open association with a PACS.
pub struct PacsAssociation {
    pacs: Pacs,
    assoc: dicom_ul::association::AsyncClientAssociation<tokio::net::TcpStream>,
    contexts: Vec<(u8, String, String)>,
    next_id: u16,
    /// P-DATA values received and not yet read.
    pending: std::collections::VecDeque<PDataValue>,
    /// Instances spooled so far (file names).
    spooled: u64,
}

impl std::fmt::Debug for PacsAssociation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PacsAssociation")
            .field("pacs", &self.pacs.name)
            .finish()
    }
}

impl Pacs {
    /// `[pacs.NAME]` of `config`, called with the node's AE title (`[dicom] ae_title`).
    pub fn from_config(config: &Config, name: &str) -> Result<Pacs, PacsError> {
        let Some(p) = config.pacs.get(name) else {
            return Err(PacsError::Unknown {
                name: name.to_string(),
                configured: config.pacs.keys().cloned().collect(),
            });
        };
        Ok(Pacs {
            name: name.to_string(),
            called: p.ae_title.clone(),
            addr: format!("{}:{}", p.host, p.port),
            calling: config.dicom.ae_title.clone(),
            max_pdu: config.dicom.max_pdu,
            timeout: Duration::from_secs(config.dicom.idle_timeout_s.max(1)),
        })
    }

    /// The PACS's `host:port`.
    pub fn address(&self) -> &str {
        &self.addr
    }

    fn protocol(&self, reason: impl std::fmt::Display) -> PacsError {
        PacsError::Protocol {
            name: self.name.clone(),
            reason: reason.to_string(),
        }
    }

    /// Open an association proposing verification, Study Root FIND and GET, and the storage
    /// classes with the SCP role.
    pub async fn connect(&self) -> Result<PacsAssociation, PacsError> {
        let ts = || vec![EXPLICIT_LE, IMPLICIT_LE];
        let mut opts = ClientAssociationOptions::new()
            .calling_ae_title(self.calling.clone())
            .called_ae_title(self.called.clone())
            .max_pdu_length(self.max_pdu)
            .read_timeout(self.timeout)
            .connection_timeout(self.timeout)
            .with_presentation_context(VERIFICATION, ts())
            .with_presentation_context(STUDY_ROOT_FIND, ts())
            .with_presentation_context(STUDY_ROOT_GET, ts());
        for class in STORAGE_CLASSES {
            opts = opts
                .with_presentation_context(*class, ts())
                .with_role_selection(*class, false, true);
        }
        let established = tokio::time::timeout(
            self.timeout + Duration::from_secs(1),
            opts.establish_async(self.addr.clone()),
        )
        .await;
        let connect = |reason: String| PacsError::Connect {
            name: self.name.clone(),
            addr: self.addr.clone(),
            calling: self.calling.clone(),
            called: self.called.clone(),
            reason,
        };
        let assoc = match established {
            Err(_) => return Err(connect("no answer (timed out)".into())),
            Ok(Ok(a)) => a,
            Ok(Err(UlError::Rejected { association_rj, .. })) => {
                return Err(PacsError::Rejected {
                    name: self.name.clone(),
                    addr: self.addr.clone(),
                    calling: self.calling.clone(),
                    called: self.called.clone(),
                    reason: association_rj.source.to_string(),
                })
            }
            Ok(Err(UlError::Connect { source, .. })) => return Err(connect(source.to_string())),
            Ok(Err(UlError::ToAddress { source, .. })) => return Err(connect(source.to_string())),
            Ok(Err(e)) => return Err(connect(e.to_string())),
        };
        let contexts = accepted_contexts(assoc.presentation_contexts());
        Ok(PacsAssociation {
            pacs: self.clone(),
            assoc,
            contexts,
            next_id: 1,
            pending: Default::default(),
            spooled: 0,
        })
    }

    /// C-ECHO.
    pub async fn echo(&self) -> Result<(), PacsError> {
        let mut a = self.connect().await?;
        let r = a.echo().await;
        a.release().await;
        r
    }

    /// C-FIND at `level` (series: the series of each matching study).
    pub async fn find(
        &self,
        query: &PacsQuery,
        level: PacsLevel,
    ) -> Result<Vec<PacsMatch>, PacsError> {
        let mut a = self.connect().await?;
        let r = a.find(query, level).await;
        a.release().await;
        r
    }
}

impl PacsAssociation {
    fn context(&self, class: &str) -> Result<(u8, String), PacsError> {
        self.contexts
            .iter()
            .find(|c| c.1 == class)
            .map(|c| (c.0, c.2.clone()))
            .ok_or_else(|| {
                self.pacs
                    .protocol(format!("the PACS did not accept SOP class {class}"))
            })
    }

    fn message_id(&mut self) -> u16 {
        let id = self.next_id;
        self.next_id = self.next_id.wrapping_add(1).max(1);
        id
    }

    /// Release the association (errors ignored: the work is done).
    pub async fn release(self) {
        let _ = self.assoc.release().await;
    }

    /// The next P-DATA value from the PACS.
    async fn next_value(&mut self) -> Result<PDataValue, PacsError> {
        loop {
            if let Some(v) = self.pending.pop_front() {
                return Ok(v);
            }
            let pdu = tokio::time::timeout(self.pacs.timeout, self.assoc.receive())
                .await
                .map_err(|_| self.pacs.protocol("the PACS went silent"))?
                .map_err(|e| self.pacs.protocol(e))?;
            let Pdu::PData { data } = pdu else {
                return Err(self.pacs.protocol("the PACS ended the association"));
            };
            self.pending.extend(data);
        }
    }

    /// The next complete command set from the PACS, and its data set when one follows: a
    /// C-STORE's written as it arrives to a Part 10 file in `spool` (memory stays flat
    /// whatever the instance's size), any other's (a C-FIND answer) kept in memory, bounded.
    async fn receive(
        &mut self,
        spool: Option<&Path>,
    ) -> Result<(u8, Command, Option<Body>), PacsError> {
        let mut command = Vec::new();
        let (pc, cmd) = loop {
            let v = self.next_value().await?;
            if v.value_type != PDataValueType::Command {
                return Err(self.pacs.protocol("a data set without a command"));
            }
            if command.len() + v.data.len() > super::MAX_COMMAND_BYTES {
                return Err(self.pacs.protocol("command set too large"));
            }
            command.extend_from_slice(&v.data);
            if v.is_last {
                let c = Command::parse(&command).map_err(|e| self.pacs.protocol(e))?;
                break (v.presentation_context_id, c);
            }
        };
        if cmd.data_set == super::NO_DATA_SET {
            return Ok((pc, cmd, None));
        }
        let mut file = match spool {
            Some(dir) if cmd.field == C_STORE_RQ => {
                let ts = self
                    .contexts
                    .iter()
                    .find(|c| c.0 == pc)
                    .map(|c| c.2.clone())
                    .ok_or_else(|| self.pacs.protocol("a C-STORE on an unknown context"))?;
                let path = unique(dir.join(format!("{:08}.dcm", self.spooled)));
                self.spooled += 1;
                let mut f = std::io::BufWriter::new(std::fs::File::create(&path)?);
                f.write_all(&part10_header(
                    &cmd.affected_class,
                    &cmd.affected_instance,
                    &ts,
                ))?;
                Some((f, path))
            }
            _ => None,
        };
        let mut data = Vec::new();
        loop {
            let v = self.next_value().await?;
            if v.value_type != PDataValueType::Data || v.presentation_context_id != pc {
                return Err(self.pacs.protocol("a data set out of order"));
            }
            match file.as_mut() {
                Some((f, _)) => f.write_all(&v.data)?,
                None if data.len() + v.data.len() > MAX_IDENTIFIER_BYTES => {
                    return Err(self.pacs.protocol("a C-FIND answer too large"))
                }
                None => data.extend_from_slice(&v.data),
            }
            if v.is_last {
                break;
            }
        }
        let body = match file {
            Some((f, path)) => {
                let f = f.into_inner().map_err(|e| e.into_error())?;
                f.sync_all()?;
                Body::File(path)
            }
            None => Body::Memory(data),
        };
        Ok((pc, cmd, Some(body)))
    }

    /// C-ECHO over this association.
    pub async fn echo(&mut self) -> Result<(), PacsError> {
        let (pc, _) = self.context(VERIFICATION)?;
        let mut e = Vec::new();
        ui_element(&mut e, 0x0002, VERIFICATION);
        us_element(&mut e, 0x0100, C_ECHO_RQ);
        us_element(&mut e, 0x0110, self.message_id());
        us_element(&mut e, 0x0800, super::NO_DATA_SET);
        send_command(&mut self.assoc, pc, with_group_length(e))
            .await
            .map_err(|e| self.pacs.protocol(e))?;
        let (_, rsp, _) = self.receive(None).await?;
        if rsp.status != SUCCESS {
            return Err(self.status("C-ECHO", rsp.status));
        }
        Ok(())
    }

    fn status(&self, operation: &'static str, status: u16) -> PacsError {
        PacsError::Status {
            name: self.pacs.name.clone(),
            operation,
            status,
        }
    }

    /// Send request `field` of SOP class `class` with identifier `keys` (tag, VR, value).
    async fn request(
        &mut self,
        field: u16,
        class: &str,
        keys: &[(u32, &str, String)],
    ) -> Result<String, PacsError> {
        let (pc, ts) = self.context(class)?;
        let mut e = Vec::new();
        ui_element(&mut e, 0x0002, class);
        us_element(&mut e, 0x0100, field);
        us_element(&mut e, 0x0110, self.message_id());
        us_element(&mut e, 0x0700, 0);
        us_element(&mut e, 0x0800, 0x0000);
        send_command(&mut self.assoc, pc, with_group_length(e))
            .await
            .map_err(|e| self.pacs.protocol(e))?;
        let max = (self.assoc.acceptor_max_pdu_length().max(1024) as usize).saturating_sub(64);
        send_data(&mut self.assoc, pc, encode(keys, ts == IMPLICIT_LE), max)
            .await
            .map_err(|e| self.pacs.protocol(e))?;
        Ok(ts)
    }

    /// One C-FIND at `level` (`STUDY` or `SERIES`): the answers' elements by tag.
    async fn find_raw(
        &mut self,
        keys: &[(u32, &str, String)],
    ) -> Result<Vec<BTreeMap<u32, String>>, PacsError> {
        let ts = self.request(C_FIND_RQ, STUDY_ROOT_FIND, keys).await?;
        let mut out = Vec::new();
        loop {
            let (_, rsp, data) = self.receive(None).await?;
            match (rsp.status, data) {
                (PENDING | PENDING_WARNING, Some(Body::Memory(d))) => {
                    let (elements, _) = find::keys_of(STUDY_ROOT_FIND, &d, &ts)
                        .map_err(|e| self.pacs.protocol(format!("a C-FIND answer: {}", e.0)))?;
                    out.push(elements.into_iter().collect());
                }
                (PENDING | PENDING_WARNING, _) => {}
                (SUCCESS, _) => return Ok(out),
                (status, _) => return Err(self.status("C-FIND", status)),
            }
        }
    }

    /// C-FIND at `level` over this association.
    pub async fn find(
        &mut self,
        query: &PacsQuery,
        level: PacsLevel,
    ) -> Result<Vec<PacsMatch>, PacsError> {
        let key = |v: &Option<String>| v.clone().unwrap_or_default();
        let study_keys = vec![
            (0x0008_0052, "CS", "STUDY".to_string()),
            (0x0008_0020, "DA", key(&query.study_date)),
            (0x0008_0061, "CS", key(&query.modality)),
            (0x0008_1030, "LO", String::new()),
            (0x0010_0020, "LO", key(&query.patient_id)),
            (0x0020_000D, "UI", key(&query.study_uid)),
            (0x0020_1208, "IS", String::new()),
        ];
        let studies = self.find_raw(&study_keys).await?;
        let text = |m: &BTreeMap<u32, String>, tag: u32| m.get(&tag).cloned().unwrap_or_default();
        let count = |m: &BTreeMap<u32, String>, tag: u32| {
            m.get(&tag).and_then(|v| v.trim().parse::<u32>().ok())
        };
        let mut out = Vec::new();
        for s in studies {
            let study = PacsMatch {
                patient_id: text(&s, 0x0010_0020),
                study_uid: text(&s, 0x0020_000D),
                study_date: text(&s, 0x0008_0020),
                study_description: text(&s, 0x0008_1030),
                modality: text(&s, 0x0008_0061),
                instances: count(&s, 0x0020_1208),
                ..PacsMatch::default()
            };
            if study.study_uid.is_empty() {
                return Err(self
                    .pacs
                    .protocol("a C-FIND answer without StudyInstanceUID"));
            }
            if level == PacsLevel::Study && !study.modality.is_empty() {
                out.push(study);
                continue;
            }
            // The series: asked for, or what tells a study's modalities when the PACS does
            // not return ModalitiesInStudy (nor match on it).
            let series_keys = vec![
                (0x0008_0052, "CS", "SERIES".to_string()),
                (0x0008_0060, "CS", key(&query.modality)),
                (0x0008_103E, "LO", String::new()),
                (0x0020_000D, "UI", study.study_uid.clone()),
                (0x0020_000E, "UI", String::new()),
                (0x0020_0011, "IS", String::new()),
                (0x0020_1209, "IS", String::new()),
            ];
            let series: Vec<PacsMatch> = self
                .find_raw(&series_keys)
                .await?
                .into_iter()
                .map(|r| PacsMatch {
                    series_uid: Some(text(&r, 0x0020_000E)),
                    series_number: Some(text(&r, 0x0020_0011)),
                    series_description: Some(text(&r, 0x0008_103E)),
                    modality: text(&r, 0x0008_0060),
                    instances: count(&r, 0x0020_1209),
                    ..study.clone()
                })
                .collect();
            if level == PacsLevel::Series {
                out.extend(series);
                continue;
            }
            if series.is_empty() && query.modality.is_some() {
                continue;
            }
            let modalities: std::collections::BTreeSet<&str> =
                series.iter().map(|s| s.modality.as_str()).collect();
            let instances = match study.instances {
                Some(n) => Some(n),
                None => series.iter().map(|s| s.instances).sum(),
            };
            out.push(PacsMatch {
                modality: modalities.into_iter().collect::<Vec<_>>().join("\\"),
                instances,
                ..study
            });
        }
        Ok(out)
    }

    /// C-GET of series `m` (or of its whole study when it names no series) into `dir`:
    /// every received instance is written there as a Part 10 file; `progress` is told the
    /// (completed, total) counts after each one.
    pub async fn get(
        &mut self,
        m: &PacsMatch,
        dir: &Path,
        progress: &(dyn Fn(u32, u32) + Sync),
    ) -> Result<GetOutcome, PacsError> {
        let keys = match &m.series_uid {
            Some(series) => vec![
                (0x0008_0052, "CS", "SERIES".to_string()),
                (0x0020_000D, "UI", m.study_uid.clone()),
                (0x0020_000E, "UI", series.clone()),
            ],
            None => vec![
                (0x0008_0052, "CS", "STUDY".to_string()),
                (0x0020_000D, "UI", m.study_uid.clone()),
            ],
        };
        self.request(C_GET_RQ, STUDY_ROOT_GET, &keys).await?;
        let mut outcome = GetOutcome::default();
        loop {
            let (pc, cmd, data) = self.receive(Some(dir)).await?;
            if cmd.field == C_STORE_RQ {
                let status = match data {
                    Some(Body::File(path)) => {
                        outcome.files.push(path);
                        outcome.received += 1;
                        SUCCESS
                    }
                    _ => {
                        tracing::warn!("C-GET: a C-STORE without a data set");
                        super::OUT_OF_RESOURCES
                    }
                };
                let rsp = store_response(
                    cmd.message_id,
                    &cmd.affected_class,
                    &cmd.affected_instance,
                    status,
                );
                send_command(&mut self.assoc, pc, rsp)
                    .await
                    .map_err(|e| self.pacs.protocol(e))?;
                let total = outcome.received + u32::from(cmd.counts.remaining);
                progress(outcome.received, total.max(m.instances.unwrap_or(0)));
                continue;
            }
            if cmd.field != C_GET_RQ | 0x8000 {
                return Err(self
                    .pacs
                    .protocol(format!("unexpected command 0x{:04X}", cmd.field)));
            }
            let c = cmd.counts;
            match cmd.status {
                PENDING => {
                    let done = u32::from(c.completed) + u32::from(c.failed) + u32::from(c.warning);
                    progress(outcome.received, done + u32::from(c.remaining));
                }
                status if status == SUCCESS || (status & 0xF000) == 0xB000 => {
                    outcome.failed = u32::from(c.failed);
                    outcome.warning = u32::from(c.warning);
                    return Ok(outcome);
                }
                status => return Err(self.status("C-GET", status)),
            }
        }
    }
}

/// A data set received after a command.
enum Body {
    /// Kept in memory (a C-FIND answer).
    Memory(Vec<u8>),
    /// Written to this Part 10 file (a C-STORE's instance).
    File(PathBuf),
}

/// `path`, or a sibling with a suffix when it exists (several C-GETs into one folder).
fn unique(path: PathBuf) -> PathBuf {
    let mut p = path.clone();
    let mut n = 1;
    while p.exists() {
        p = path.with_extension(format!("{n}.dcm"));
        n += 1;
    }
    p
}

/// An identifier of `keys` (tag, VR, value), in tag order, implicit or explicit VR LE.
fn encode(keys: &[(u32, &str, String)], implicit: bool) -> Vec<u8> {
    let mut sorted: Vec<&(u32, &str, String)> = keys.iter().collect();
    sorted.sort_by_key(|k| k.0);
    let mut out = Vec::new();
    for (tag, vr, value) in sorted {
        let mut v = value.as_bytes().to_vec();
        if v.len() % 2 == 1 {
            v.push(if *vr == "UI" { 0 } else { b' ' });
        }
        out.extend_from_slice(&((tag >> 16) as u16).to_le_bytes());
        out.extend_from_slice(&((tag & 0xFFFF) as u16).to_le_bytes());
        if implicit {
            out.extend_from_slice(&(v.len() as u32).to_le_bytes());
        } else {
            out.extend_from_slice(vr.as_bytes());
            out.extend_from_slice(&(v.len() as u16).to_le_bytes());
        }
        out.extend_from_slice(&v);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_identifier_is_read_back_as_its_keys() {
        let keys = vec![
            (0x0020_000D, "UI", "1.2.3".to_string()),
            (0x0008_0052, "CS", "STUDY".to_string()),
            (0x0010_0020, "LO", "P1*".to_string()),
            (0x0008_0020, "DA", String::new()),
        ];
        for (implicit, ts) in [(true, IMPLICIT_LE), (false, EXPLICIT_LE)] {
            let bytes = encode(&keys, implicit);
            let (elements, level) = find::keys_of(STUDY_ROOT_FIND, &bytes, ts).unwrap();
            assert_eq!(level.as_deref(), Some("STUDY"));
            let m: BTreeMap<u32, String> = elements.into_iter().collect();
            assert_eq!(m[&0x0020_000D], "1.2.3");
            assert_eq!(m[&0x0010_0020], "P1*");
            assert_eq!(m[&0x0008_0020], "");
        }
    }

    #[test]
    fn an_unknown_pacs_lists_the_configured_ones() {
        let mut config = Config::default();
        config.pacs.insert(
            "hospital".into(),
            node::PacsConfig {
                ae_title: "ORTHANC".into(),
                host: "127.0.0.1".into(),
                port: 4242,
            },
        );
        let e = Pacs::from_config(&config, "clinic")
            .unwrap_err()
            .to_string();
        assert!(e.contains("\"clinic\"") && e.contains("hospital"), "{e}");
        let p = Pacs::from_config(&config, "hospital").unwrap();
        assert_eq!(p.address(), "127.0.0.1:4242");
    }
}
