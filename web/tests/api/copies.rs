//! Downloads only through rights: a node's own datasets are never "fetched" into it nor read as
//! copies, and a copy held here is read only with a chain that fully verifies against the
//! copy's recorded origin and study (study, expiry, revocations, filters).

use axum::http::StatusCode;
use node::{FetchedDataset, Manifest, ManifestEntry};
use protocol::grant::{Capability, CapabilityChain, Resource, Revocation};
use protocol::id::StudyId;
use protocol::keys::SecretKey;
use protocol::signed::Signed;
use protocol::ContentId;
use serde_json::json;

use crate::fixture::{get, json, now, Small};

/// A chain from `origin` to this node's key: `download` on `study` of `origin` for `window`.
fn chain(
    origin: &SecretKey,
    audience: protocol::keys::PublicKey,
    study: StudyId,
    window: (u64, u64),
    edit: impl FnOnce(&mut Capability),
) -> CapabilityChain {
    let resource = Resource::Studies {
        ids: [study].into_iter().collect(),
        node: origin.public(),
    };
    let mut c = Capability::new(
        origin.public(),
        audience,
        resource,
        "download".parse().unwrap(),
        window.0,
        window.1,
    );
    edit(&mut c);
    CapabilityChain::new(vec![Signed::sign(c, origin).unwrap()]).unwrap()
}

fn record(s: &Small, content: ContentId, origin: &SecretKey, study: StudyId) {
    s.node()
        .catalog
        .fetched()
        .record(&FetchedDataset {
            content,
            origin: origin.public(),
            grant: None,
            study: Some(study),
            fetched_at: now(),
            series_uid: "1.2.3".into(),
            instances: 1,
            bytes: 4,
        })
        .unwrap();
}

/// Hold exactly `chain` as the node's only grant.
fn hold(s: &Small, chain: &CapabilityChain) {
    let dir = s.node().home.grants_dir();
    let _ = std::fs::remove_dir_all(&dir);
    federation::state::store_grant(&s.node().home, chain).unwrap();
}

#[tokio::test]
async fn local_data_is_not_fetched_and_copies_are_read_only_under_a_chain_that_covers_them() {
    let s = Small::new(false);
    let home = &s.node().home;
    let me = federation::state::node_key(home).unwrap().public();
    let study = s.study.unwrap();
    let local = s.node().catalog.dataset_rows().unwrap()[0]
        .dataset
        .dicom
        .manifest;
    // A fetch of a local content id is refused before any member is asked.
    let r = json(
        &s.state,
        "POST",
        "/api/v1/fetch",
        Some(&s.admin),
        json!({"content_id": local.to_hex()}),
    )
    .await;
    r.assert_error(StatusCode::CONFLICT, "local_dataset");

    // Even with a fetched record naming it (as the old fetch of local data wrote) and a download
    // chain from that "origin", local blobs are not served as a copy.
    let origin = SecretKey::from_seed(&[5; 32]);
    record(&s, local, &origin, study);
    let valid = (now() - 60, now() + 3600);
    hold(&s, &chain(&origin, me, study, valid, |_| {}));
    let first = node::read_manifest(&s.node().store, &local)
        .unwrap()
        .instances[0]
        .content;
    let uri = format!(
        "/api/v1/blobs/{}?dataset={}",
        first.to_hex(),
        local.to_hex()
    );
    assert_eq!(
        get(&s.state, &uri, Some(&s.admin)).await.status,
        StatusCode::FORBIDDEN
    );

    // A real copy: one blob, its manifest, recorded as fetched from `origin`'s study `there`.
    let data = b"copy".to_vec();
    let blob = s.node().store.put(&data).unwrap();
    let manifest = Manifest {
        version: Manifest::VERSION,
        series_uid: "1.2.3".into(),
        instances: vec![ManifestEntry {
            sop_instance_uid: "1.2.3.4".into(),
            instance_number: Some(1),
            content: blob,
            size: data.len() as u64,
        }],
    };
    let copy = s
        .node()
        .store
        .put(&protocol::cbor::encode(&manifest, "manifest").unwrap())
        .unwrap();
    let there = StudyId::new();
    record(&s, copy, &origin, there);
    let uri = format!("/api/v1/blobs/{}?dataset={}", blob.to_hex(), copy.to_hex());
    let status = |s: &Small, uri: String| {
        let st = s.state.clone();
        let token = s.admin.clone();
        async move { get(&st, &uri, Some(&token)).await }
    };
    // A chain from the origin for another study of it: refused.
    hold(&s, &chain(&origin, me, study, valid, |_| {}));
    let r = status(&s, uri.clone()).await;
    assert_eq!(
        r.status,
        StatusCode::FORBIDDEN,
        "{}",
        String::from_utf8_lossy(&r.body)
    );
    // For the copy's study but expired: refused.
    hold(
        &s,
        &chain(&origin, me, there, (now() - 7200, now() - 3600), |_| {}),
    );
    assert_eq!(status(&s, uri.clone()).await.status, StatusCode::FORBIDDEN);
    // With a modality filter the copy-holder cannot check: refused.
    hold(
        &s,
        &chain(&origin, me, there, valid, |c| {
            c.filters.modality = Some(["CT".to_string()].into_iter().collect())
        }),
    );
    assert_eq!(status(&s, uri.clone()).await.status, StatusCode::FORBIDDEN);
    // The right chain: served.
    let good = chain(&origin, me, there, valid, |_| {});
    hold(&s, &good);
    let r = status(&s, uri.clone()).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body, data);
    // Revoked by its issuer: refused.
    let rev = Signed::sign(
        Revocation::new(origin.public(), good.leaf().unwrap().hash(), now()),
        &origin,
    )
    .unwrap();
    federation::state::store_revocation(home, &rev).unwrap();
    assert_eq!(status(&s, uri).await.status, StatusCode::FORBIDDEN);
}
