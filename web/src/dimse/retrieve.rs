//! C-MOVE (Study Root and Patient Root, PS3.4 C.4.2): the instances an identifier names, of the
//! caller's study, are sent by C-STORE sub-operations over a new association to the move
//! destination, which must be a known AE of `[dicom.callers]` with its `host` and `port`. The
//! stored (de-identified) blobs are sent as they are, in their own transfer syntax.

use std::collections::BTreeSet;
use std::io::Read as _;
use std::time::Duration;

use dicom_ul::pdu::PDataValueType;
use dicom_ul::{ClientAssociationOptions, Pdu};
use node::DicomConfig;

use super::{
    accepted_contexts, find, send_command, send_data, ui_element, us_element, with_group_length,
    Command, C_STORE_RQ, MOVE_DESTINATION_UNKNOWN, SUBOPERATIONS_FAILED, SUCCESS,
};
use crate::AppState;

/// Most bytes of a blob read to find its file meta group.
const META_PROBE: usize = 16 << 10;

/// The instance blob `bytes`' SOP class, transfer syntax and where its data set starts.
fn meta_of(bytes: &[u8]) -> Option<(String, String, usize)> {
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
        return cmd.move_response(MOVE_DESTINATION_UNKNOWN, (0, 0, 0));
    };
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
                Some((class, ts, _)) => out.push((class, ts, instance, content)),
                None => tracing::warn!(%content, "C-MOVE: a blob without a file meta group"),
            }
        }
        Ok::<_, find::FindError>(out)
    })
    .await;
    let instances = match found {
        Ok(Ok(v)) => v,
        Ok(Err(e)) => {
            tracing::info!(%caller, "C-MOVE refused: {}", e.0);
            return cmd.move_response(super::IDENTIFIER_MISMATCH, (0, 0, 0));
        }
        Err(e) => {
            tracing::error!("C-MOVE task: {e}");
            return cmd.move_response(super::OUT_OF_RESOURCES, (0, 0, 0));
        }
    };
    if instances.is_empty() {
        return cmd.move_response(SUCCESS, (0, 0, 0));
    }
    match send_all(st, cfg, &host, port, cmd, caller, &instances).await {
        Ok((done, failed)) => {
            let status = if failed == 0 {
                SUCCESS
            } else {
                SUBOPERATIONS_FAILED
            };
            tracing::info!(%caller, destination = %cmd.move_destination, done, failed, "C-MOVE");
            cmd.move_response(status, (done, failed, 0))
        }
        Err(e) => {
            tracing::warn!(destination = %cmd.move_destination, "C-MOVE: {e}");
            let n = u16::try_from(instances.len()).unwrap_or(u16::MAX);
            cmd.move_response(super::OUT_OF_RESOURCES, (0, n, 0))
        }
    }
}

/// C-STORE every instance to `host:port`; (completed, failed).
async fn send_all(
    st: &AppState,
    cfg: &DicomConfig,
    host: &str,
    port: u16,
    cmd: &Command,
    caller: &str,
    instances: &[(String, String, String, protocol::ContentId)],
) -> Result<(u16, u16), String> {
    let idle = Duration::from_secs(cfg.idle_timeout_s.max(1));
    let pairs: BTreeSet<(&str, &str)> = instances
        .iter()
        .map(|(c, t, _, _)| (c.as_str(), t.as_str()))
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
    let (mut done, mut failed) = (0u16, 0u16);
    for (i, (class, ts, instance, content)) in instances.iter().enumerate() {
        let Some(pc) = accepted
            .iter()
            .find(|p| p.1 == *class && p.2 == *ts)
            .map(|p| p.0)
        else {
            failed = failed.saturating_add(1);
            continue;
        };
        let blob = {
            let store = st.node.clone();
            let content = *content;
            tokio::task::spawn_blocking(move || store.store.read(&content))
                .await
                .map_err(|e| e.to_string())?
        };
        let Some(data) = blob
            .ok()
            .and_then(|b| meta_of(&b).map(|(_, _, at)| b[at..].to_vec()))
        else {
            failed = failed.saturating_add(1);
            continue;
        };
        let mut e = Vec::new();
        ui_element(&mut e, 0x0002, class);
        us_element(&mut e, 0x0100, C_STORE_RQ);
        us_element(&mut e, 0x0110, u16::try_from(i + 1).unwrap_or(u16::MAX));
        us_element(&mut e, 0x0700, 0);
        us_element(&mut e, 0x0800, 0x0000);
        ui_element(&mut e, 0x1000, instance);
        let mut ae = caller.as_bytes().to_vec();
        if ae.len() % 2 == 1 {
            ae.push(b' ');
        }
        e.extend_from_slice(&0u16.to_le_bytes());
        e.extend_from_slice(&0x1030u16.to_le_bytes());
        e.extend_from_slice(&(ae.len() as u32).to_le_bytes());
        e.extend_from_slice(&ae);
        us_element(&mut e, 0x1031, cmd.message_id);
        send_command(&mut assoc, pc, with_group_length(e))
            .await
            .map_err(|e| e.to_string())?;
        send_data(&mut assoc, pc, data, max)
            .await
            .map_err(|e| e.to_string())?;
        // The C-STORE-RSP.
        let mut rsp = Vec::new();
        loop {
            let pdu = tokio::time::timeout(idle, assoc.receive())
                .await
                .map_err(|_| "the destination went silent".to_string())?
                .map_err(|e| e.to_string())?;
            let Pdu::PData { data } = pdu else {
                return Err("the destination ended the association".into());
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
        match Command::parse(&rsp) {
            Ok(r) if r.status == SUCCESS || (r.status & 0xF000) == 0xB000 => {
                done = done.saturating_add(1)
            }
            _ => failed = failed.saturating_add(1),
        }
    }
    let _ = assoc.release().await;
    Ok((done, failed))
}
