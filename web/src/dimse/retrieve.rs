//! C-MOVE and C-GET (Study Root and Patient Root, PS3.4 C.4.2 and C.4.3): the instances an
//! identifier names, of the caller's study, are sent by C-STORE sub-operations. C-MOVE opens a
//! new association to the move destination, which must be a known AE of `[dicom.callers]` with
//! its `host` and `port`; C-GET sends them back over the caller's own association, on the
//! storage presentation contexts it proposed with the SCP role, with a pending response after
//! each sub-operation. The stored (de-identified) blobs are sent as they are, in their own
//! transfer syntax.

use std::collections::BTreeSet;
use std::io::Read as _;
use std::time::Duration;

use dicom_ul::association::AsyncAssociation;
use dicom_ul::pdu::PDataValueType;
use dicom_ul::{ClientAssociationOptions, Pdu};
use node::DicomConfig;

use super::{
    accepted_contexts, find, send_command, send_data, ui_element, us_element, with_group_length,
    AssociationError, Command, C_STORE_RQ, MOVE_DESTINATION_UNKNOWN, PENDING, SUBOPERATIONS_FAILED,
    SUCCESS,
};
use crate::AppState;

/// Most bytes of a blob read to find its file meta group.
const META_PROBE: usize = 16 << 10;
const C_CANCEL_RQ: u16 = 0x0FFF;
const CANCELLED: u16 = 0xFE00;

/// One instance to send: SOP class, transfer syntax, SOP instance UID and its blob.
pub(super) struct Outgoing {
    class: String,
    ts: String,
    instance: String,
    content: protocol::ContentId,
}

/// Sub-operation counts of a C-MOVE or C-GET response.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Counts {
    pub(super) remaining: u16,
    pub(super) completed: u16,
    pub(super) failed: u16,
    pub(super) warning: u16,
}

/// The instance blob `bytes`' SOP class, transfer syntax and where its data set starts.
pub(super) fn meta_of(bytes: &[u8]) -> Option<(String, String, usize)> {
    if bytes.get(128..132)? != b"DICM" {
        return None;
    }
    let meta = dicom_object::meta::FileMetaTable::from_reader(bytes.get(128..)?).ok()?;
    let group = u32::from_le_bytes(bytes.get(140..144)?.try_into().ok()?) as usize;
    let trim = |s: &str| s.trim_end_matches(['\0', ' ']).to_string();
    Some((
        trim(meta.media_storage_sop_class_uid()),
        trim(meta.transfer_syntax()),
        144 + group,
    ))
}

/// The instances of `study` that C-MOVE or C-GET `cmd`'s `identifier` (in `ts`) names, each
/// with its SOP class and transfer syntax; else the status of the final response.
async fn matched(
    st: &AppState,
    study: &str,
    caller: &str,
    cmd: &Command,
    identifier: &[u8],
    ts: &str,
) -> Result<Vec<Outgoing>, u16> {
    let (st2, study, class, identifier, ts) = (
        st.clone(),
        study.to_string(),
        cmd.affected_class.clone(),
        identifier.to_vec(),
        ts.to_string(),
    );
    let found = tokio::task::spawn_blocking(move || {
        let rows = find::study_rows(&st2, &study)?;
        let ids = find::instances(&st2, rows, &class, &identifier, &ts)?;
        // Each blob's SOP class and transfer syntax, for the presentation contexts.
        let mut out = Vec::new();
        for (_, instance, content) in ids {
            let mut head = Vec::with_capacity(META_PROBE);
            let probe = st2
                .node
                .store
                .open_blob(&content)
                .ok()
                .and_then(|f| f.take(META_PROBE as u64).read_to_end(&mut head).ok());
            match probe.and_then(|_| meta_of(&head)) {
                Some((class, ts, _)) => out.push(Outgoing {
                    class,
                    ts,
                    instance,
                    content,
                }),
                None => tracing::warn!(%content, "retrieve: a blob without a file meta group"),
            }
        }
        Ok::<_, find::FindError>(out)
    })
    .await;
    match found {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => {
            tracing::info!(%caller, "retrieve refused: {}", e.0);
            Err(super::IDENTIFIER_MISMATCH)
        }
        Err(e) => {
            tracing::error!("retrieve task: {e}");
            Err(super::OUT_OF_RESOURCES)
        }
    }
}

/// The final status of sub-operations that ended with `counts`.
fn final_status(counts: Counts) -> u16 {
    if counts.failed == 0 && counts.warning == 0 {
        SUCCESS
    } else {
        SUBOPERATIONS_FAILED
    }
}

/// Run C-MOVE `cmd` with `identifier` (in `ts`) for `caller` on `study`; the final response.
pub(super) async fn move_to(
    st: &AppState,
    cfg: &DicomConfig,
    study: &str,
    caller: &str,
    cmd: &Command,
    identifier: &[u8],
    ts: &str,
) -> Vec<u8> {
    let dest = cfg
        .callers
        .get(&cmd.move_destination)
        .and_then(|d| Some((d.host.clone()?, d.port?)));
    let Some((host, port)) = dest else {
        tracing::info!(%caller, destination = %cmd.move_destination, "C-MOVE to an unknown destination");
        return cmd.retrieve_response(MOVE_DESTINATION_UNKNOWN, Counts::default());
    };
    let instances = match matched(st, study, caller, cmd, identifier, ts).await {
        Ok(v) => v,
        Err(status) => return cmd.retrieve_response(status, Counts::default()),
    };
    if instances.is_empty() {
        return cmd.retrieve_response(SUCCESS, Counts::default());
    }
    match send_all(st, cfg, &host, port, cmd, caller, &instances).await {
        Ok(counts) => {
            tracing::info!(%caller, destination = %cmd.move_destination, done = counts.completed, failed = counts.failed, "C-MOVE");
            cmd.retrieve_response(final_status(counts), counts)
        }
        Err(e) => {
            tracing::warn!(destination = %cmd.move_destination, "C-MOVE: {e}");
            let failed = u16::try_from(instances.len()).unwrap_or(u16::MAX);
            let counts = Counts {
                failed,
                ..Counts::default()
            };
            cmd.retrieve_response(super::OUT_OF_RESOURCES, counts)
        }
    }
}

/// Run C-GET `cmd` (received on presentation context `context`) with `identifier` (in `ts`)
/// for `caller` on `study`: the C-STORE sub-operations and pending responses go over `assoc`;
/// the final response is returned. An error: the association broke.
#[allow(clippy::too_many_arguments)]
pub(super) async fn get<S, A>(
    st: &AppState,
    assoc: &mut A,
    cfg: &DicomConfig,
    study: &str,
    caller: &str,
    cmd: &Command,
    context: u8,
    identifier: &[u8],
    ts: &str,
) -> Result<Vec<u8>, AssociationError>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send,
    A: AsyncAssociation<S> + Send,
{
    let instances = match matched(st, study, caller, cmd, identifier, ts).await {
        Ok(v) => v,
        Err(status) => return Ok(cmd.retrieve_response(status, Counts::default())),
    };
    // Only the storage contexts the caller proposed with the SCP role carry sub-operations.
    let accepted: Vec<(u8, String, String)> = accepted_contexts(assoc.presentation_contexts())
        .into_iter()
        .filter(|(_, class, _)| assoc.requestor_roles_for(class).scp)
        .collect();
    let idle = Duration::from_secs(cfg.idle_timeout_s.max(1));
    let max = (assoc.requestor_max_pdu_length().max(1024) as usize).saturating_sub(64);
    let sub = SubOperations {
        st,
        accepted: &accepted,
        max,
        idle,
        originator: None,
        pending: Some((cmd, context)),
    };
    let counts = sub
        .store_each(assoc, &instances)
        .await
        .map_err(AssociationError::Protocol)?;
    tracing::info!(%caller, done = counts.completed, failed = counts.failed, "C-GET");
    let status = if counts.remaining > 0 {
        CANCELLED
    } else {
        final_status(counts)
    };
    Ok(cmd.retrieve_response(status, counts))
}

/// C-STORE every instance to `host:port`.
async fn send_all(
    st: &AppState,
    cfg: &DicomConfig,
    host: &str,
    port: u16,
    cmd: &Command,
    caller: &str,
    instances: &[Outgoing],
) -> Result<Counts, String> {
    let idle = Duration::from_secs(cfg.idle_timeout_s.max(1));
    let pairs: BTreeSet<(&str, &str)> = instances
        .iter()
        .map(|o| (o.class.as_str(), o.ts.as_str()))
        .collect();
    let mut opts = ClientAssociationOptions::new()
        .calling_ae_title(cfg.ae_title.clone())
        .called_ae_title(cmd.move_destination.clone())
        .max_pdu_length(cfg.max_pdu)
        .read_timeout(idle)
        .connection_timeout(idle);
    for (class, ts) in &pairs {
        opts = opts.with_presentation_context(class.to_string(), vec![ts.to_string()]);
    }
    let mut assoc = tokio::time::timeout(idle, opts.establish_async(format!("{host}:{port}")))
        .await
        .map_err(|_| "the destination did not answer".to_string())?
        .map_err(|e| format!("association with the destination: {e}"))?;
    let accepted = accepted_contexts(assoc.presentation_contexts());
    let max = (assoc.acceptor_max_pdu_length().max(1024) as usize).saturating_sub(64);
    let sub = SubOperations {
        st,
        accepted: &accepted,
        max,
        idle,
        originator: Some((caller, cmd.message_id)),
        pending: None,
    };
    let counts = sub.store_each(&mut assoc, instances).await?;
    let _ = assoc.release().await;
    Ok(counts)
}

/// How C-STORE sub-operations are sent over one association.
struct SubOperations<'a> {
    st: &'a AppState,
    /// The accepted storage contexts (id, SOP class, transfer syntax).
    accepted: &'a [(u8, String, String)],
    /// Largest PDV sent.
    max: usize,
    idle: Duration,
    /// C-MOVE: the move originator's AE title and message id.
    originator: Option<(&'a str, u16)>,
    /// C-GET: the request, and its context, answered with a pending response after each one.
    pending: Option<(&'a Command, u8)>,
}

impl SubOperations<'_> {
    /// C-STORE each instance over `assoc`; the counts (remaining > 0: cancelled).
    async fn store_each<S, A>(
        &self,
        assoc: &mut A,
        instances: &[Outgoing],
    ) -> Result<Counts, String>
    where
        S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send,
        A: AsyncAssociation<S> + Send,
    {
        let mut counts = Counts {
            remaining: u16::try_from(instances.len()).unwrap_or(u16::MAX),
            ..Counts::default()
        };
        let base = self.pending.map(|(c, _)| c.message_id).unwrap_or(0);
        for (i, o) in instances.iter().enumerate() {
            counts.remaining = counts.remaining.saturating_sub(1);
            match self
                .store_one(assoc, o, base.wrapping_add(1 + i as u16))
                .await?
            {
                Stored::Done => counts.completed = counts.completed.saturating_add(1),
                Stored::Warning => counts.warning = counts.warning.saturating_add(1),
                Stored::Failed => counts.failed = counts.failed.saturating_add(1),
                Stored::Cancelled => {
                    counts.remaining = counts.remaining.saturating_add(1);
                    return Ok(counts);
                }
            }
            if let Some((cmd, context)) = self.pending {
                if counts.remaining > 0 {
                    send_command(assoc, context, cmd.retrieve_response(PENDING, counts))
                        .await
                        .map_err(|e| e.to_string())?;
                }
            }
        }
        Ok(counts)
    }

    async fn store_one<S, A>(&self, assoc: &mut A, o: &Outgoing, id: u16) -> Result<Stored, String>
    where
        S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send,
        A: AsyncAssociation<S> + Send,
    {
        let Some(pc) = self
            .accepted
            .iter()
            .find(|p| p.1 == o.class && p.2 == o.ts)
            .map(|p| p.0)
        else {
            tracing::info!(class = %o.class, ts = %o.ts, "sub-operation: no accepted presentation context");
            return Ok(Stored::Failed);
        };
        let blob = {
            let store = self.st.node.clone();
            let content = o.content;
            tokio::task::spawn_blocking(move || store.store.read(&content))
                .await
                .map_err(|e| e.to_string())?
        };
        let Some(data) = blob
            .ok()
            .and_then(|b| meta_of(&b).map(|(_, _, at)| b[at..].to_vec()))
        else {
            return Ok(Stored::Failed);
        };
        let mut e = Vec::new();
        ui_element(&mut e, 0x0002, &o.class);
        us_element(&mut e, 0x0100, C_STORE_RQ);
        us_element(&mut e, 0x0110, id);
        us_element(&mut e, 0x0700, 0);
        us_element(&mut e, 0x0800, 0x0000);
        ui_element(&mut e, 0x1000, &o.instance);
        if let Some((caller, message_id)) = self.originator {
            let mut ae = caller.as_bytes().to_vec();
            if ae.len() % 2 == 1 {
                ae.push(b' ');
            }
            e.extend_from_slice(&0u16.to_le_bytes());
            e.extend_from_slice(&0x1030u16.to_le_bytes());
            e.extend_from_slice(&(ae.len() as u32).to_le_bytes());
            e.extend_from_slice(&ae);
            us_element(&mut e, 0x1031, message_id);
        }
        send_command(assoc, pc, with_group_length(e))
            .await
            .map_err(|e| e.to_string())?;
        send_data(assoc, pc, data, self.max)
            .await
            .map_err(|e| e.to_string())?;
        // The C-STORE-RSP (or, from a C-GET's caller, a C-CANCEL-RQ).
        let mut rsp = Vec::new();
        loop {
            let pdu = tokio::time::timeout(self.idle, AsyncAssociation::receive(assoc))
                .await
                .map_err(|_| "the peer went silent".to_string())?
                .map_err(|e| e.to_string())?;
            let Pdu::PData { data } = pdu else {
                return Err("the peer ended the association".into());
            };
            let mut last = false;
            for v in data {
                if v.value_type == PDataValueType::Command {
                    rsp.extend_from_slice(&v.data);
                    last |= v.is_last;
                }
            }
            if last {
                break;
            }
        }
        Ok(match Command::parse(&rsp) {
            Ok(r) if r.field == C_CANCEL_RQ => Stored::Cancelled,
            Ok(r) if r.status == SUCCESS => Stored::Done,
            Ok(r) if (r.status & 0xF000) == 0xB000 => Stored::Warning,
            _ => Stored::Failed,
        })
    }
}

/// The outcome of one C-STORE sub-operation.
enum Stored {
    Done,
    Warning,
    Failed,
    Cancelled,
}
