//! DIMSE: the node as a DICOM application entity (`neurofed serve --dicom ADDR`), the door a
//! PACS or a scanner pushes through. Served: C-ECHO, and C-STORE into the normal import
//! pipeline (profile, de-identification, study cards, NIfTI), the target study chosen by the
//! calling AE title (`[dicom.callers.AE] study = ...` in `config.toml`; unknown callers and a
//! wrong called AE title are refused at association); C-FIND at the PATIENT, STUDY, SERIES and
//! IMAGE levels over the caller's study ([`find`]); C-MOVE to a known AE and C-GET over the
//! caller's own association ([`retrieve`]).
//!
//! Each association spools the instances it receives (as Part 10 files with the negotiated
//! transfer syntax) outside the home and imports them when it is released (or aborted after
//! they arrived), so that a series pushed in one association is imported, converted and
//! indexed once. Bounded: associations at once, PDU size, idle time, bytes per association;
//! a malformed PDU or command closes that association with an abort, never the server.

use std::io::Write as _;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use dicom_ul::association::server::{AccessControl, Negotiation};
use dicom_ul::association::Association as _;
use dicom_ul::pdu::{
    AssociationRJServiceUserReason, PDataValue, PDataValueType, RequestorRoles, UserIdentity,
};
use dicom_ul::{Pdu, ServerAssociationOptions};
use node::{DicomConfig, ImportOptions, Importer};
use tokio::net::TcpListener;

use crate::AppState;

mod find;
mod retrieve;
pub(crate) mod scu;

const VERIFICATION: &str = "1.2.840.10008.1.1";
/// Our implementation class UID (the project's root under the UUID-derived 2.25 arc).
const IMPLEMENTATION_CLASS_UID: &str = "2.25.264010538146233174812547337425431170521";
const IMPLEMENTATION_VERSION: &str = "NEUROFED_0_1";

const C_STORE_RQ: u16 = 0x0001;
const C_ECHO_RQ: u16 = 0x0030;
const C_FIND_RQ: u16 = 0x0020;
const C_MOVE_RQ: u16 = 0x0021;
const C_GET_RQ: u16 = 0x0010;
const MOVE_DESTINATION_UNKNOWN: u16 = 0xA801;
const SUBOPERATIONS_FAILED: u16 = 0xB000;
const PENDING: u16 = 0xFF00;
const IDENTIFIER_MISMATCH: u16 = 0xA900;
const SUCCESS: u16 = 0x0000;
const OUT_OF_RESOURCES: u16 = 0xA700;
const UNRECOGNIZED_OPERATION: u16 = 0x0211;
const NO_DATA_SET: u16 = 0x0101;

/// Most bytes a command set may take (a real one is a few hundred bytes).
const MAX_COMMAND_BYTES: usize = 64 << 10;

/// Why an association ended badly (logged; the server goes on).
#[derive(Debug, thiserror::Error)]
enum AssociationError {
    #[error("association: {0}")]
    Ul(#[from] dicom_ul::association::Error),
    #[error("silent for {0} s")]
    Idle(u64),
    #[error("protocol: {0}")]
    Protocol(String),
    #[error("spool: {0}")]
    Spool(#[from] std::io::Error),
}

/// Accepts associations whose called AE title is ours and whose calling AE title is configured.
struct Callers {
    ours: String,
    callers: Vec<String>,
}

impl AccessControl for Callers {
    fn check_access(
        &self,
        _this_ae_title: &str,
        calling_ae_title: &str,
        called_ae_title: &str,
        _user_identity: Option<&UserIdentity>,
    ) -> Result<(), AssociationRJServiceUserReason> {
        if called_ae_title.trim() != self.ours {
            return Err(AssociationRJServiceUserReason::CalledAETitleNotRecognized);
        }
        if !self.callers.iter().any(|c| c == calling_ae_title.trim()) {
            return Err(AssociationRJServiceUserReason::CallingAETitleNotRecognized);
        }
        Ok(())
    }
}

/// Grants the roles a requestor proposes: a C-GET's caller proposes its storage SOP classes
/// with the SCP role, and the sub-operations go only to those.
struct Roles;

impl Negotiation for Roles {
    fn negotiate_roles(&self, _class: &str, scu: bool, scp: bool) -> Option<RequestorRoles> {
        Some(RequestorRoles { scu, scp })
    }
}

/// Serve DIMSE on `listener` until the runtime stops.
pub async fn serve_dimse(listener: TcpListener, state: AppState) {
    let cfg = Arc::new(state.node.config.dicom.clone());
    let slots = Arc::new(tokio::sync::Semaphore::new(cfg.max_associations.max(1)));
    loop {
        let (socket, peer) = match listener.accept().await {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!("DIMSE accept: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        // PDUs are small messages answered one by one (a C-STORE-RSP per instance, a C-FIND
        // match per PDU): Nagle's algorithm against the peer's delayed ACK costs up to 40 ms each.
        let _ = socket.set_nodelay(true);
        let Ok(permit) = slots.clone().try_acquire_owned() else {
            tracing::warn!(%peer, "DIMSE: too many associations, connection closed");
            drop(socket);
            continue;
        };
        let (state, cfg) = (state.clone(), cfg.clone());
        tokio::spawn(async move {
            let _permit = permit;
            match association(socket, &state, &cfg).await {
                Ok(n) => tracing::info!(%peer, instances = n, "DIMSE association ended"),
                Err(e) => tracing::warn!(%peer, "DIMSE association ended: {e}"),
            }
        });
    }
}

/// One instance being received.
struct Incoming {
    file: std::fs::File,
    path: PathBuf,
    context: u8,
    message_id: u16,
    class: String,
    instance: String,
}

async fn association(
    socket: tokio::net::TcpStream,
    st: &AppState,
    cfg: &DicomConfig,
) -> Result<usize, AssociationError> {
    let idle = Duration::from_secs(cfg.idle_timeout_s.max(1));
    let access = Callers {
        ours: cfg.ae_title.trim().to_string(),
        callers: cfg.callers.keys().map(|k| k.trim().to_string()).collect(),
    };
    let opts = ServerAssociationOptions::new()
        .ae_access_control(access)
        .with_negotiation(Roles)
        .ae_title(cfg.ae_title.clone())
        .with_abstract_syntax(VERIFICATION)
        .promiscuous(true)
        .max_pdu_length(cfg.max_pdu)
        .read_timeout(idle);
    let mut assoc = tokio::time::timeout(idle, opts.establish_async(socket))
        .await
        .map_err(|_| AssociationError::Idle(idle.as_secs()))??;
    let calling = assoc.peer_ae_title().trim().to_string();
    let Some(caller) = cfg.callers.get(&calling).cloned() else {
        // Refused at negotiation already; kept for the type.
        let _ = assoc.abort().await;
        return Err(AssociationError::Protocol(format!(
            "unknown caller {calling}"
        )));
    };
    let contexts = accepted_contexts(assoc.presentation_contexts());
    let spool = tempfile::Builder::new()
        .prefix("neurofed-dimse-")
        .tempdir_in(&st.config.upload_dir)?;
    let limit = st.config.max_upload_bytes;
    let mut received: u64 = 0;
    let mut command: Vec<u8> = Vec::new();
    let mut incoming: Option<Incoming> = None;
    let mut finding: Option<(Command, u8, Vec<u8>)> = None;
    let mut stored: Vec<PathBuf> = Vec::new();
    let outcome: Result<(), AssociationError> = async {
        loop {
            let pdu = tokio::time::timeout(idle, assoc.receive())
                .await
                .map_err(|_| AssociationError::Idle(idle.as_secs()))??;
            match pdu {
                Pdu::PData { data } => {
                    for v in data {
                        match v.value_type {
                            PDataValueType::Command => {
                                if command.len() + v.data.len() > MAX_COMMAND_BYTES {
                                    return Err(AssociationError::Protocol(
                                        "command set too large".into(),
                                    ));
                                }
                                command.extend_from_slice(&v.data);
                                if !v.is_last {
                                    continue;
                                }
                                let cmd =
                                    Command::parse(&command).map_err(AssociationError::Protocol)?;
                                command.clear();
                                if incoming.is_some() || finding.is_some() {
                                    return Err(AssociationError::Protocol(
                                        "a command before the previous data set ended".into(),
                                    ));
                                }
                                match cmd.field {
                                    C_ECHO_RQ => {
                                        let rsp = cmd.response(SUCCESS);
                                        send_command(&mut assoc, v.presentation_context_id, rsp)
                                            .await?;
                                    }
                                    C_STORE_RQ if cmd.data_set != NO_DATA_SET => {
                                        let ts = contexts
                                            .iter()
                                            .find(|c| c.0 == v.presentation_context_id)
                                            .map(|c| c.2.clone())
                                            .ok_or_else(|| {
                                                AssociationError::Protocol(
                                                    "unknown presentation context".into(),
                                                )
                                            })?;
                                        let path =
                                            spool.path().join(format!("{:06}.dcm", stored.len()));
                                        let mut file = std::fs::File::create(&path)?;
                                        file.write_all(&part10_header(
                                            &cmd.affected_class,
                                            &cmd.affected_instance,
                                            &ts,
                                        ))?;
                                        incoming = Some(Incoming {
                                            file,
                                            path,
                                            context: v.presentation_context_id,
                                            message_id: cmd.message_id,
                                            class: cmd.affected_class,
                                            instance: cmd.affected_instance,
                                        });
                                    }
                                    C_FIND_RQ | C_MOVE_RQ | C_GET_RQ if cmd.data_set != NO_DATA_SET => {
                                        finding = Some((cmd, v.presentation_context_id, Vec::new()));
                                    }
                                    _ => {
                                        let rsp = cmd.response(UNRECOGNIZED_OPERATION);
                                        send_command(&mut assoc, v.presentation_context_id, rsp)
                                            .await?;
                                    }
                                }
                            }
                            PDataValueType::Data if finding.is_some() => {
                                let Some((_, context, identifier)) = finding.as_mut() else {
                                    continue;
                                };
                                if v.presentation_context_id != *context
                                    || identifier.len() + v.data.len() > MAX_COMMAND_BYTES
                                {
                                    return Err(AssociationError::Protocol(
                                        "identifier too large or on another context".into(),
                                    ));
                                }
                                identifier.extend_from_slice(&v.data);
                                if !v.is_last {
                                    continue;
                                }
                                let Some((cmd, context, identifier)) = finding.take() else {
                                    continue;
                                };
                                let ts = contexts
                                    .iter()
                                    .find(|c| c.0 == context)
                                    .map(|c| c.2.clone())
                                    .unwrap_or_default();
                                if cmd.field == C_MOVE_RQ {
                                    let rsp = retrieve::move_to(
                                        st, cfg, &caller.study, &calling, &cmd, &identifier, &ts,
                                    )
                                    .await;
                                    send_command(&mut assoc, context, rsp).await?;
                                    continue;
                                }
                                if cmd.field == C_GET_RQ {
                                    let rsp = retrieve::get(
                                        st,
                                        &mut assoc,
                                        cfg,
                                        &caller.study,
                                        &calling,
                                        &cmd,
                                        context,
                                        &identifier,
                                        &ts,
                                    )
                                    .await?;
                                    send_command(&mut assoc, context, rsp).await?;
                                    continue;
                                }
                                let (st2, study) = (st.clone(), caller.study.clone());
                                let class = cmd.affected_class.clone();
                                let answers = tokio::task::spawn_blocking(move || {
                                    let rows = find::study_rows(&st2, &study)?;
                                    find::answer(&st2, rows, &class, &identifier, &ts)
                                })
                                .await
                                .map_err(|e| AssociationError::Protocol(e.to_string()))?;
                                let max = assoc.requestor_max_pdu_length().max(1024) as usize - 64;
                                match answers {
                                    Ok(answers) => {
                                        for a in answers {
                                            let rsp = cmd.response_with_data(PENDING);
                                            send_command(&mut assoc, context, rsp).await?;
                                            send_data(&mut assoc, context, a, max).await?;
                                        }
                                        send_command(&mut assoc, context, cmd.response(SUCCESS))
                                            .await?;
                                    }
                                    Err(e) => {
                                        tracing::info!(caller = %calling, "C-FIND refused: {}", e.0);
                                        let rsp = cmd.response(IDENTIFIER_MISMATCH);
                                        send_command(&mut assoc, context, rsp).await?;
                                    }
                                }
                            }
                            PDataValueType::Data => {
                                let Some(inc) = incoming.as_mut() else {
                                    return Err(AssociationError::Protocol(
                                        "a data set without a C-STORE command".into(),
                                    ));
                                };
                                if v.presentation_context_id != inc.context {
                                    return Err(AssociationError::Protocol(
                                        "data set on another presentation context".into(),
                                    ));
                                }
                                received += v.data.len() as u64;
                                let status = if received > limit {
                                    OUT_OF_RESOURCES
                                } else {
                                    match inc.file.write_all(&v.data) {
                                        Ok(()) => SUCCESS,
                                        Err(e) => {
                                            tracing::warn!("DIMSE spool: {e}");
                                            OUT_OF_RESOURCES
                                        }
                                    }
                                };
                                if status != SUCCESS || v.is_last {
                                    let Some(done) = incoming.take() else {
                                        continue;
                                    };
                                    let status = if status == SUCCESS {
                                        match done.file.sync_all() {
                                            Ok(()) => SUCCESS,
                                            Err(_) => OUT_OF_RESOURCES,
                                        }
                                    } else {
                                        status
                                    };
                                    if status == SUCCESS {
                                        stored.push(done.path);
                                    } else {
                                        let _ = std::fs::remove_file(&done.path);
                                    }
                                    let rsp = store_response(
                                        done.message_id,
                                        &done.class,
                                        &done.instance,
                                        status,
                                    );
                                    send_command(&mut assoc, done.context, rsp).await?;
                                    if received > limit {
                                        return Err(AssociationError::Protocol(format!(
                                            "more than {limit} bytes in one association"
                                        )));
                                    }
                                }
                            }
                        }
                    }
                }
                Pdu::ReleaseRQ => {
                    assoc.send(&Pdu::ReleaseRP).await?;
                    return Ok(());
                }
                Pdu::AbortRQ { .. } => return Ok(()),
                other => {
                    return Err(AssociationError::Protocol(format!(
                        "unexpected PDU {:?}",
                        std::mem::discriminant(&other)
                    )))
                }
            }
        }
    }
    .await;
    if let Err(e) = &outcome {
        tracing::warn!(caller = %calling, "DIMSE association aborted: {e}");
        let _ = assoc.abort().await;
    }
    drop(incoming);
    // What was acknowledged is imported, whatever ended the association.
    let n = stored.len();
    if n > 0 {
        let guard = st.import_lock.clone().lock_owned().await;
        let node = st.node.clone();
        let imported = tokio::task::spawn_blocking(move || {
            let _guard = guard;
            let watch = crate::mail::ReportWatch::before(&node, &caller.study);
            let opts = ImportOptions {
                study: Some(caller.study),
                profile: caller.profile,
                actor: Some(format!("dicom:{calling}")),
                ..ImportOptions::default()
            };
            let r = Importer::new(&node).run(&stored, &opts, &node::NoProgress);
            drop(spool);
            if let (Ok(_), Some(w)) = (&r, watch) {
                w.after(&node);
            }
            r
        })
        .await;
        match imported {
            Ok(Ok(s)) => tracing::info!(
                instances = s.instances,
                duplicates = s.duplicates,
                skipped = s.skipped.len(),
                series = s.series,
                "DIMSE: imported what the association stored"
            ),
            Ok(Err(e)) => tracing::error!("DIMSE import failed: {e}"),
            Err(e) => tracing::error!("DIMSE import task: {e}"),
        }
    }
    outcome.map(|()| n)
}

/// The accepted presentation contexts: (id, abstract syntax, transfer syntax), UIDs without
/// their padding.
fn accepted_contexts(
    negotiated: &[dicom_ul::pdu::PresentationContextNegotiated],
) -> Vec<(u8, String, String)> {
    let trim = |s: &str| s.trim_end_matches(['\0', ' ']).to_string();
    negotiated
        .iter()
        .filter(|p| p.reason == dicom_ul::pdu::PresentationContextResultReason::Acceptance)
        .map(|p| (p.id, trim(&p.abstract_syntax), trim(&p.transfer_syntax)))
        .collect()
}

/// One command set on presentation context `context`.
async fn send_command<S, A>(
    assoc: &mut A,
    context: u8,
    bytes: Vec<u8>,
) -> Result<(), AssociationError>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send,
    A: dicom_ul::association::AsyncAssociation<S> + Send,
{
    dicom_ul::association::AsyncAssociation::send(
        assoc,
        &Pdu::PData {
            data: vec![PDataValue {
                presentation_context_id: context,
                value_type: PDataValueType::Command,
                is_last: true,
                data: bytes,
            }],
        },
    )
    .await?;
    Ok(())
}

/// A data set on `context`, in PDVs of at most `max` bytes.
async fn send_data<S, A>(
    assoc: &mut A,
    context: u8,
    bytes: Vec<u8>,
    max: usize,
) -> Result<(), AssociationError>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send,
    A: dicom_ul::association::AsyncAssociation<S> + Send,
{
    let chunks: Vec<&[u8]> = if bytes.is_empty() {
        vec![&[]]
    } else {
        bytes.chunks(max.max(256)).collect()
    };
    let n = chunks.len();
    for (i, c) in chunks.into_iter().enumerate() {
        dicom_ul::association::AsyncAssociation::send(
            assoc,
            &Pdu::PData {
                data: vec![PDataValue {
                    presentation_context_id: context,
                    value_type: PDataValueType::Data,
                    is_last: i + 1 == n,
                    data: c.to_vec(),
                }],
            },
        )
        .await?;
    }
    Ok(())
}

/// The fields of a command set (implicit VR little endian, PS3.7 E) the server uses.
#[derive(Debug, Default)]
struct Command {
    field: u16,
    message_id: u16,
    data_set: u16,
    affected_class: String,
    affected_instance: String,
    /// C-MOVE's destination AE title.
    move_destination: String,
    /// A response's status.
    status: u16,
    /// A C-MOVE or C-GET response's sub-operation counts.
    counts: retrieve::Counts,
}

impl Command {
    fn parse(bytes: &[u8]) -> Result<Command, String> {
        let mut c = Command {
            data_set: NO_DATA_SET,
            ..Command::default()
        };
        let mut at = 0usize;
        let mut seen_field = false;
        while at < bytes.len() {
            let head = bytes
                .get(at..at + 8)
                .ok_or("command set truncated in an element header")?;
            let group = u16::from_le_bytes([head[0], head[1]]);
            let element = u16::from_le_bytes([head[2], head[3]]);
            let len = u32::from_le_bytes([head[4], head[5], head[6], head[7]]) as usize;
            let value = bytes
                .get(at + 8..at + 8 + len)
                .ok_or("command set truncated in a value")?;
            at += 8 + len;
            if group != 0x0000 {
                return Err(format!(
                    "element ({group:04X},{element:04X}) in a command set"
                ));
            }
            let us = || -> Result<u16, String> {
                value
                    .get(..2)
                    .map(|v| u16::from_le_bytes([v[0], v[1]]))
                    .ok_or_else(|| format!("(0000,{element:04X}) too short"))
            };
            let ui = || -> Result<String, String> {
                let s = std::str::from_utf8(value)
                    .map_err(|_| format!("(0000,{element:04X}) is not a UID"))?
                    .trim_end_matches(['\0', ' ']);
                if s.is_empty()
                    || s.len() > 64
                    || !s.bytes().all(|b| b.is_ascii_digit() || b == b'.')
                {
                    return Err(format!("(0000,{element:04X}) is not a UID"));
                }
                Ok(s.to_string())
            };
            match element {
                0x0002 => c.affected_class = ui()?,
                0x0100 => {
                    c.field = us()?;
                    seen_field = true;
                }
                0x0110 => c.message_id = us()?,
                0x0800 => c.data_set = us()?,
                0x1000 => c.affected_instance = ui()?,
                0x0600 => {
                    c.move_destination = String::from_utf8_lossy(value)
                        .trim_matches(|ch: char| ch == ' ' || ch == '\0')
                        .to_string()
                }
                0x0900 => c.status = us()?,
                0x1020 => c.counts.remaining = us()?,
                0x1021 => c.counts.completed = us()?,
                0x1022 => c.counts.failed = us()?,
                0x1023 => c.counts.warning = us()?,
                _ => {}
            }
        }
        if !seen_field {
            return Err("command set without a command field".into());
        }
        if c.field == C_STORE_RQ && (c.affected_class.is_empty() || c.affected_instance.is_empty())
        {
            return Err("C-STORE without affected SOP class and instance".into());
        }
        Ok(c)
    }

    /// The response to this request with `status`, no data set following.
    fn response(&self, status: u16) -> Vec<u8> {
        self.response_of(status, NO_DATA_SET)
    }

    /// The response to this request with `status`, a data set following.
    fn response_with_data(&self, status: u16) -> Vec<u8> {
        self.response_of(status, 0x0000)
    }

    /// A C-MOVE-RSP or C-GET-RSP with the sub-operation counts (the remaining ones only in a
    /// pending or cancelled response).
    fn retrieve_response(&self, status: u16, counts: retrieve::Counts) -> Vec<u8> {
        let mut e = Vec::new();
        ui_element(&mut e, 0x0002, &self.affected_class);
        us_element(&mut e, 0x0100, self.field | 0x8000);
        us_element(&mut e, 0x0120, self.message_id);
        us_element(&mut e, 0x0800, NO_DATA_SET);
        us_element(&mut e, 0x0900, status);
        if status == PENDING || status == 0xFE00 {
            us_element(&mut e, 0x1020, counts.remaining);
        }
        us_element(&mut e, 0x1021, counts.completed);
        us_element(&mut e, 0x1022, counts.failed);
        us_element(&mut e, 0x1023, counts.warning);
        with_group_length(e)
    }

    fn response_of(&self, status: u16, data_set: u16) -> Vec<u8> {
        let mut e = Vec::new();
        if !self.affected_class.is_empty() {
            ui_element(&mut e, 0x0002, &self.affected_class);
        }
        us_element(&mut e, 0x0100, self.field | 0x8000);
        us_element(&mut e, 0x0120, self.message_id);
        us_element(&mut e, 0x0800, data_set);
        us_element(&mut e, 0x0900, status);
        with_group_length(e)
    }
}

/// A C-STORE-RSP.
fn store_response(message_id: u16, class: &str, instance: &str, status: u16) -> Vec<u8> {
    let mut e = Vec::new();
    ui_element(&mut e, 0x0002, class);
    us_element(&mut e, 0x0100, C_STORE_RQ | 0x8000);
    us_element(&mut e, 0x0120, message_id);
    us_element(&mut e, 0x0800, NO_DATA_SET);
    us_element(&mut e, 0x0900, status);
    ui_element(&mut e, 0x1000, instance);
    with_group_length(e)
}

fn us_element(out: &mut Vec<u8>, element: u16, v: u16) {
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&element.to_le_bytes());
    out.extend_from_slice(&2u32.to_le_bytes());
    out.extend_from_slice(&v.to_le_bytes());
}

fn ui_element(out: &mut Vec<u8>, element: u16, v: &str) {
    let mut b = v.as_bytes().to_vec();
    if b.len() % 2 == 1 {
        b.push(0);
    }
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&element.to_le_bytes());
    out.extend_from_slice(&(b.len() as u32).to_le_bytes());
    out.extend_from_slice(&b);
}

fn with_group_length(elements: Vec<u8>) -> Vec<u8> {
    let mut out = Vec::with_capacity(elements.len() + 12);
    out.extend_from_slice(&[0, 0, 0, 0]);
    out.extend_from_slice(&4u32.to_le_bytes());
    out.extend_from_slice(&(elements.len() as u32).to_le_bytes());
    out.extend_from_slice(&elements);
    out
}

/// Preamble, `DICM` and the file meta group (explicit VR little endian) of a Part 10 file whose
/// data set, in transfer syntax `ts`, follows.
fn part10_header(class: &str, instance: &str, ts: &str) -> Vec<u8> {
    fn explicit(out: &mut Vec<u8>, element: u16, vr: &[u8; 2], value: &[u8]) {
        let mut v = value.to_vec();
        if v.len() % 2 == 1 {
            v.push(if vr == b"UI" { 0 } else { b' ' });
        }
        out.extend_from_slice(&0x0002u16.to_le_bytes());
        out.extend_from_slice(&element.to_le_bytes());
        out.extend_from_slice(vr);
        if vr == b"OB" {
            out.extend_from_slice(&[0, 0]);
            out.extend_from_slice(&(v.len() as u32).to_le_bytes());
        } else {
            out.extend_from_slice(&(v.len() as u16).to_le_bytes());
        }
        out.extend_from_slice(&v);
    }
    let mut meta = Vec::new();
    explicit(&mut meta, 0x0001, b"OB", &[0, 1]);
    explicit(&mut meta, 0x0002, b"UI", class.as_bytes());
    explicit(&mut meta, 0x0003, b"UI", instance.as_bytes());
    explicit(&mut meta, 0x0010, b"UI", ts.as_bytes());
    explicit(
        &mut meta,
        0x0012,
        b"UI",
        IMPLEMENTATION_CLASS_UID.as_bytes(),
    );
    explicit(&mut meta, 0x0013, b"SH", IMPLEMENTATION_VERSION.as_bytes());
    let mut out = vec![0u8; 128];
    out.extend_from_slice(b"DICM");
    out.extend_from_slice(&0x0002u16.to_le_bytes());
    out.extend_from_slice(&0x0000u16.to_le_bytes());
    out.extend_from_slice(b"UL");
    out.extend_from_slice(&4u16.to_le_bytes());
    out.extend_from_slice(&(meta.len() as u32).to_le_bytes());
    out.extend_from_slice(&meta);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_command_round_trips_and_malformed_ones_are_errors() {
        let mut e = Vec::new();
        ui_element(&mut e, 0x0002, "1.2.840.10008.5.1.4.1.1.4");
        us_element(&mut e, 0x0100, C_STORE_RQ);
        us_element(&mut e, 0x0110, 7);
        us_element(&mut e, 0x0800, 0x0000);
        ui_element(&mut e, 0x1000, "1.2.3.4");
        let bytes = with_group_length(e);
        let c = Command::parse(&bytes).unwrap();
        assert_eq!((c.field, c.message_id, c.data_set), (C_STORE_RQ, 7, 0x0000));
        assert_eq!(c.affected_instance, "1.2.3.4");
        let rsp = Command::parse(&c.response(SUCCESS)).unwrap();
        assert_eq!(rsp.field, 0x8001);
        // Truncations at every length are errors, never panics.
        for cut in 0..bytes.len() {
            let _ = Command::parse(&bytes[..cut]);
        }
        assert!(Command::parse(&bytes[..bytes.len() - 3]).is_err());
        let mut bad = Vec::new();
        ui_element(&mut bad, 0x1000, "1.2.3; DROP");
        us_element(&mut bad, 0x0100, C_STORE_RQ);
        assert!(Command::parse(&bad).is_err());
        let mut huge = Vec::new();
        huge.extend_from_slice(&[0, 0, 0, 1]);
        huge.extend_from_slice(&u32::MAX.to_le_bytes());
        assert!(Command::parse(&huge).is_err());
    }

    #[test]
    fn the_part10_header_is_read_back_by_dicom_rs() {
        let file = part10_header(
            "1.2.840.10008.5.1.4.1.1.4",
            "1.2.3.4.5",
            "1.2.840.10008.1.2.1",
        );
        let meta = dicom_object::meta::FileMetaTable::from_reader(&file[128..]).unwrap();
        assert_eq!(meta.transfer_syntax(), "1.2.840.10008.1.2.1");
        assert_eq!(meta.media_storage_sop_instance_uid(), "1.2.3.4.5");
        assert_eq!(
            meta.media_storage_sop_class_uid(),
            "1.2.840.10008.5.1.4.1.1.4"
        );
    }
}
