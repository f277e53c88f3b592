//! The JSON shapes of search answers, shared by `GET /search`, `neurofed search --json` and
//! (with per-member reports) `GET /search?scope=federated`.
//!
//! Each is its own serializable type, built from the index's or the federation's results, so
//! that what is sent is exactly what the OpenAPI document describes (a test holds every
//! conversion to the JSON of the type it comes from).

use std::collections::BTreeMap;
use std::convert::Infallible;

use node::PendingAgreement;
use protocol::query::{Count, Hit, QcGrade, SearchResults};
use serde::de::{Deserializer, MapAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::StudyRef;

/// A local search answered a suppressed count (`"<k"`): only federated answers have them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a local search answered a suppressed count ({0}) where an exact one was expected")]
pub struct SuppressedCount(pub Count);

fn exact(c: Count) -> Result<u64, SuppressedCount> {
    c.exact().ok_or(SuppressedCount(c))
}

/// Facet counts in the order the index returned them (count descending), as a JSON object of
/// objects: `{"nature": {"T1w": 6, "T2w": 6}}`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FacetMap<C>(pub Vec<(String, Vec<(String, C)>)>);

impl<C: Serialize> Serialize for FacetMap<C> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        struct Values<'a, C>(&'a [(String, C)]);
        impl<C: Serialize> Serialize for Values<'_, C> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut m = s.serialize_map(Some(self.0.len()))?;
                for (k, v) in self.0 {
                    m.serialize_entry(k, v)?;
                }
                m.end()
            }
        }
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, &Values(v))?;
        }
        m.end()
    }
}

/// Read back in the order written (the CLI reads the API's answers).
impl<'de, C: Deserialize<'de>> Deserialize<'de> for FacetMap<C> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Values<C>(Vec<(String, C)>);
        impl<'de, C: Deserialize<'de>> Deserialize<'de> for Values<C> {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                d.deserialize_map(Pairs(std::marker::PhantomData))
                    .map(Values)
            }
        }
        struct Pairs<V>(std::marker::PhantomData<V>);
        impl<'de, V: Deserialize<'de>> Visitor<'de> for Pairs<V> {
            type Value = Vec<(String, V)>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = m.next_entry::<String, V>()? {
                    out.push((k, v));
                }
                Ok(out)
            }
        }
        let fields: Vec<(String, Values<C>)> =
            d.deserialize_map(Pairs(std::marker::PhantomData))?;
        Ok(FacetMap(
            fields.into_iter().map(|(k, v)| (k, v.0)).collect(),
        ))
    }
}

/// Quality grade of an acquisition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Grade {
    /// Passes the quality card.
    Pass,
    /// Usable with reservations.
    Warning,
    /// Fails.
    Fail,
}

impl From<QcGrade> for Grade {
    fn from(g: QcGrade) -> Self {
        match g {
            QcGrade::Pass => Grade::Pass,
            QcGrade::Warning => Grade::Warning,
            QcGrade::Fail => Grade::Fail,
        }
    }
}

/// One dataset found: a summary, never patient data (subjects by pseudonym, dates shifted).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SearchHit {
    /// The node holding it (its PeerId): in federated answers only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    /// Its id on that node (`ds_…`): `GET /datasets/{id}`, `GET /datasets/{id}/download`.
    pub dataset: String,
    /// Acquisition center.
    pub center: String,
    /// Its study.
    pub study: StudyRef,
    /// Subject pseudonym.
    pub subject: String,
    /// Examination date (`YYYY-MM-DD`), shifted by de-identification.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = Date)]
    pub exam_date: Option<String>,
    /// DICOM modality.
    pub modality: String,
    /// Series description (cleaned by de-identification).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub series_description: Option<String>,
    /// Nature from the study card (`T1w`, `bold`...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nature: Option<String>,
    /// Contrast from the study card.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contrast: Option<String>,
    /// Quality grade.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub qc_grade: Option<Grade>,
    /// Image dimensions (columns, rows, slices[, frames]); absent when unknown.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schema(required = false)]
    pub dims: Vec<u32>,
    /// DICOM instances.
    pub instances: u32,
    /// Content id of the dataset's manifest (64 hex digits): `POST /fetch`.
    pub content: String,
    /// Whether a NIfTI expression exists (`format=nifti` downloads).
    pub has_nifti: bool,
    /// Relevance score.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<f32>,
}

impl From<Hit> for SearchHit {
    fn from(h: Hit) -> Self {
        SearchHit {
            node: h.node.map(|n| n.to_string()),
            dataset: h.dataset.to_string(),
            center: h.center,
            study: StudyRef {
                id: h.study.id.to_string(),
                name: h.study.name,
            },
            subject: h.subject,
            exam_date: h.exam_date.map(|d| d.to_string()),
            modality: h.modality,
            series_description: h.series_description,
            nature: h.nature,
            contrast: h.contrast,
            qc_grade: h.qc_grade.map(Grade::from),
            dims: h.dims,
            instances: h.instances,
            content: h.content.to_hex(),
            has_nifti: h.has_nifti,
            score: h.score,
        }
    }
}

/// A study whose data-use agreement the caller must accept before their rights on it take
/// effect: until then none of its datasets is searched, counted or shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PendingAgreementBody {
    /// The study's id (`st_…`).
    pub study_id: String,
    /// The study's name.
    pub study_name: String,
    /// The version in force, to accept with `POST /studies/{id}/agreement/accept` after reading
    /// it at `GET /studies/{id}/agreement`.
    pub version: u32,
}

impl From<&PendingAgreement> for PendingAgreementBody {
    fn from(p: &PendingAgreement) -> Self {
        PendingAgreementBody {
            study_id: p.study.to_string(),
            study_name: p.study_name.clone(),
            version: p.version,
        }
    }
}

/// The answer of `GET /search` and of `neurofed search --json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SearchBody {
    /// Matching datasets visible to the caller.
    pub total: u64,
    /// The page of hits, in sort order.
    pub hits: Vec<SearchHit>,
    /// Per facet asked, its most frequent values with their counts, most frequent first:
    /// `{"nature": {"T1w": 6, "T2w": 6}}`. Counted over the caller's visible datasets only.
    #[schema(value_type = HashMap<String, HashMap<String, u64>>)]
    pub facets: FacetMap<u64>,
    /// Per facet asked, the datasets whose value is not listed.
    pub facet_other: BTreeMap<String, u64>,
    /// Studies the caller holds rights on that are left out of this answer because their
    /// data-use agreement is not accepted yet (empty for most callers).
    pub pending_agreements: Vec<PendingAgreementBody>,
}

/// Facets as maps, and the `other` count of each.
type Facets<C> = (FacetMap<C>, BTreeMap<String, C>);

fn facets_of<C, E>(
    r: Vec<protocol::query::FacetCounts>,
    count: impl Fn(Count) -> Result<C, E>,
) -> Result<Facets<C>, E> {
    let mut facets = Vec::with_capacity(r.len());
    let mut other = BTreeMap::new();
    for f in r {
        other.insert(f.field.to_string(), count(f.other)?);
        let values = f
            .values
            .into_iter()
            .map(|v| Ok((v.value, count(v.count)?)))
            .collect::<Result<_, E>>()?;
        facets.push((f.field.to_string(), values));
    }
    Ok((FacetMap(facets), other))
}

impl SearchBody {
    /// A local search's answer, for a caller whose agreements `pending` are not accepted.
    pub fn new(
        results: SearchResults,
        pending: &[PendingAgreement],
    ) -> Result<SearchBody, SuppressedCount> {
        let (facets, facet_other) = facets_of(results.facets, exact)?;
        Ok(SearchBody {
            total: exact(results.total)?,
            hits: results.hits.into_iter().map(SearchHit::from).collect(),
            facets,
            facet_other,
            pending_agreements: pending.iter().map(PendingAgreementBody::from).collect(),
        })
    }
}

/// A count in a federated answer: an integer, or `"<k"` (a string) when a member suppressed a
/// count between 1 and k-1 to protect small groups of subjects.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
#[allow(dead_code)] // The OpenAPI schema of a count; answers serialize `Count` itself.
pub(crate) enum FederatedCount {
    /// Exactly this many.
    Exact(u64),
    /// `"<k"`: at least 1, fewer than k.
    Suppressed(String),
}

/// How one member fared in a federated search.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MemberOutcome {
    /// Answered; its results are merged.
    Ok,
    /// Did not answer before the deadline.
    Timeout,
    /// Not connected (`reason` says what failed).
    Unreachable,
    /// Refused (`code`: `expired`, `revoked`, `wrong_audience`, `no_grant`, `not_a_member`...).
    Denied,
    /// Failed (`message`).
    Error,
}

/// One member's part in a federated search.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct NodeReportBody {
    /// The member (PeerId).
    pub node: String,
    /// Its center, from the roster.
    pub center: String,
    /// Whether it is this node.
    pub local: bool,
    /// How it went.
    pub status: MemberOutcome,
    /// With `unreachable`: what failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// With `denied`: the refusal code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// With `error`: a message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Milliseconds until its answer (absent without one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<u64>,
    /// Hits it returned.
    pub hits: u64,
    /// Its total (absent without an answer).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<FederatedCount>)]
    pub total: Option<Count>,
}

impl From<federation::NodeReport> for NodeReportBody {
    fn from(r: federation::NodeReport) -> Self {
        use federation::NodeOutcome as O;
        let (status, reason, code, message) = match r.outcome {
            O::Ok => (MemberOutcome::Ok, None, None, None),
            O::Timeout => (MemberOutcome::Timeout, None, None, None),
            O::Unreachable { reason } => (MemberOutcome::Unreachable, Some(reason), None, None),
            O::Denied { code } => (MemberOutcome::Denied, None, Some(code), None),
            O::Error { message } => (MemberOutcome::Error, None, None, Some(message)),
        };
        NodeReportBody {
            node: r.node.to_string(),
            center: r.center,
            local: r.local,
            status,
            reason,
            code,
            message,
            latency_ms: r.latency_ms,
            hits: r.hits as u64,
            total: r.total,
        }
    }
}

/// Members that answered, of the consortium's members.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CoverageBody {
    /// Members whose results are merged (this node included).
    pub answered: u64,
    /// Members in the roster (this node included).
    pub members: u64,
}

impl From<federation::Coverage> for CoverageBody {
    fn from(c: federation::Coverage) -> Self {
        CoverageBody {
            answered: c.answered as u64,
            members: c.members as u64,
        }
    }
}

/// The answer of `GET /search?scope=federated`: the local shape (counts may be `"<k"`), the hits
/// naming their `node`, and how each member fared.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct FederatedBody {
    /// Merged total.
    #[schema(value_type = FederatedCount)]
    pub total: Count,
    /// Merged hits, each naming its `node`.
    pub hits: Vec<SearchHit>,
    /// Merged facet counts, as in a local search.
    #[schema(value_type = HashMap<String, HashMap<String, FederatedCount>>)]
    pub facets: FacetMap<Count>,
    /// Per facet, the datasets whose value is not listed.
    #[schema(value_type = HashMap<String, FederatedCount>)]
    pub facet_other: BTreeMap<String, Count>,
    /// As in a local search: this node's studies whose agreement the caller has not accepted.
    pub pending_agreements: Vec<PendingAgreementBody>,
    /// Per facet whose top values may be inexact (a member listed only part of its values),
    /// the largest error of any count.
    pub facet_error_bound: BTreeMap<String, u64>,
    /// One report per member, this node first.
    pub nodes: Vec<NodeReportBody>,
    /// Members answered / members.
    pub coverage: CoverageBody,
    /// Milliseconds the search took.
    pub elapsed_ms: u64,
}

impl FederatedBody {
    /// The answer for `r`, for a caller whose local agreements `pending` are not accepted.
    pub(crate) fn new(
        r: federation::FederatedResults,
        pending: &[PendingAgreement],
    ) -> FederatedBody {
        let facet_error_bound = r
            .results
            .facets
            .iter()
            .filter_map(|f| f.error_bound.map(|b| (f.field.to_string(), b)))
            .collect();
        let Ok((facets, facet_other)) = facets_of(r.results.facets, Ok::<Count, Infallible>);
        FederatedBody {
            total: r.results.total,
            hits: r.results.hits.into_iter().map(SearchHit::from).collect(),
            facets,
            facet_other,
            pending_agreements: pending.iter().map(PendingAgreementBody::from).collect(),
            facet_error_bound,
            nodes: r.nodes.into_iter().map(NodeReportBody::from).collect(),
            coverage: r.coverage.into(),
            elapsed_ms: r.elapsed_ms,
        }
    }
}

/// A roster member's connection state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum MemberStateBody {
    /// This node.
    Local,
    /// Connected, hello verified both ways: searches go to it.
    Verified,
    /// Dialing, or connected with the hello exchange not complete.
    Connecting,
    /// Not connected (redialed with backoff).
    Disconnected,
}

/// One roster member, as this node sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub(crate) struct MemberBody {
    /// Its key (PeerId).
    pub node: String,
    /// Its center.
    pub center: String,
    /// Its addresses in the roster.
    pub addrs: Vec<String>,
    /// Connection state.
    pub state: MemberStateBody,
    /// When it was last heard from, unix seconds.
    pub last_seen: Option<u64>,
    /// The last failure (dial error, refusal) since it was last verified.
    pub last_error: Option<String>,
    /// Its software, as it says.
    pub agent: Option<String>,
}

/// `GET /consortium`: the consortium and this node's place in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub(crate) struct ConsortiumBody {
    /// This node (PeerId).
    pub node: String,
    /// The consortium (its coordinator's key).
    pub consortium: String,
    /// Version of the roster held.
    pub roster_serial: u64,
    /// Version of the revocation list held.
    pub revocation_serial: Option<u64>,
    /// When that list was issued (unix seconds).
    pub revocation_issued_at: Option<u64>,
    /// Its age now, in seconds.
    pub revocation_age_s: Option<u64>,
    /// Until when this node trusts it (unix seconds); past it every grant is refused with
    /// `revocation_list_stale`. `null` with a list: no limit.
    pub revocation_trusted_until: Option<u64>,
    /// What needs attention: no list yet, a list about to go stale (less than a day or a
    /// quarter of its window left) or stale.
    pub warnings: Vec<String>,
    /// Where this node listens.
    pub listen_addrs: Vec<String>,
    /// Peers connected (members or not yet verified).
    pub connected_peers: u64,
    /// Whether the event loop runs.
    pub running: bool,
    /// Roster members, by key.
    pub members: Vec<MemberBody>,
}

/// The warnings of [`ConsortiumBody`] about the revocation list.
fn list_warnings(s: &federation::ConsortiumStatus, now: u64) -> Vec<String> {
    let hours = |secs: u64| secs.div_ceil(3_600);
    match (s.revocation_issued_at, s.revocation_trusted_until) {
        (None, _) => vec![
            "no revocation list yet: every grant is refused until one arrives from the \
             coordinator or a member (is the coordinator's service running, and reachable?)"
                .into(),
        ],
        (Some(_), Some(until)) if now > until => vec![format!(
            "the revocation list went stale {} h ago: every grant is refused until the \
             coordinator's service signs a newer one",
            hours(now - until)
        )],
        (Some(issued), Some(until)) => {
            let left = until - now;
            let window = until.saturating_sub(issued);
            if left < 86_400 || left < window / 4 {
                vec![format!(
                    "the revocation list goes stale in {} h: the coordinator's service has not \
                     re-signed it for {} h",
                    hours(left),
                    now.saturating_sub(issued) / 3_600
                )]
            } else {
                Vec::new()
            }
        }
        (Some(_), None) => Vec::new(),
    }
}

impl From<federation::ConsortiumStatus> for ConsortiumBody {
    fn from(s: federation::ConsortiumStatus) -> Self {
        use federation::MemberState as M;
        let now = node::now();
        ConsortiumBody {
            node: s.node.to_string(),
            consortium: s.consortium.to_string(),
            roster_serial: s.roster_serial,
            revocation_serial: s.revocation_serial,
            revocation_issued_at: s.revocation_issued_at,
            revocation_age_s: s.revocation_issued_at.map(|i| now.saturating_sub(i)),
            revocation_trusted_until: s.revocation_trusted_until,
            warnings: list_warnings(&s, now),
            listen_addrs: s.listen_addrs,
            connected_peers: s.connected_peers as u64,
            running: s.running,
            members: s
                .members
                .into_iter()
                .map(|m| MemberBody {
                    node: m.node.to_string(),
                    center: m.center,
                    addrs: m.addrs,
                    state: match m.state {
                        M::Local => MemberStateBody::Local,
                        M::Verified => MemberStateBody::Verified,
                        M::Connecting => MemberStateBody::Connecting,
                        M::Disconnected => MemberStateBody::Disconnected,
                    },
                    last_seen: m.last_seen,
                    last_error: m.last_error,
                    agent: m.agent,
                })
                .collect(),
        }
    }
}

/// The answer of `GET /search`: a [`SearchBody`], or with `scope=federated` a [`FederatedBody`]
/// (described as `anyOf`: a federated answer whose counts are all exact has every key of a local
/// one).
#[derive(Debug, Clone, Copy)]
pub(crate) struct SearchAnswer;

impl utoipa::PartialSchema for SearchAnswer {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{AnyOfBuilder, Ref};
        AnyOfBuilder::new()
            .item(Ref::from_schema_name("SearchBody"))
            .item(Ref::from_schema_name("FederatedBody"))
            .description(Some(
                "`SearchBody` for a local search, `FederatedBody` with `scope=federated`",
            ))
            .into()
    }
}

impl ToSchema for SearchAnswer {
    fn schemas(
        schemas: &mut Vec<(
            String,
            utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
        )>,
    ) {
        use utoipa::PartialSchema;
        schemas.push((SearchBody::name().into_owned(), SearchBody::schema()));
        <SearchBody as ToSchema>::schemas(schemas);
        schemas.push((FederatedBody::name().into_owned(), FederatedBody::schema()));
        <FederatedBody as ToSchema>::schemas(schemas);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol::id::{DatasetId, StudyId};
    use protocol::keys::SecretKey;
    use protocol::ContentId;

    fn key(n: u8) -> protocol::keys::PublicKey {
        SecretKey::from_seed(&[n; 32]).public()
    }

    fn hit(full: bool) -> Hit {
        Hit {
            node: full.then(|| key(1)),
            dataset: DatasetId::new(),
            center: "Rennes".into(),
            study: protocol::query::StudyRef {
                id: StudyId::new(),
                name: "MS cohort".into(),
            },
            subject: "sub01".into(),
            exam_date: if full {
                "2020-05-04".parse().ok()
            } else {
                None
            },
            modality: "MR".into(),
            series_description: full.then(|| "t1_mprage".into()),
            nature: full.then(|| "T1w".into()),
            contrast: full.then(|| "T1".into()),
            qc_grade: full.then_some(QcGrade::Warning),
            dims: if full { vec![176, 256, 256] } else { vec![] },
            instances: 176,
            content: ContentId::of(b"manifest"),
            has_nifti: full,
            score: full.then_some(1.5),
        }
    }

    #[test]
    fn hits_serialize_as_the_protocol_hit_does() {
        for full in [true, false] {
            let h = hit(full);
            let ours = serde_json::to_value(SearchHit::from(h.clone())).ok();
            let theirs = serde_json::to_value(&h).ok();
            assert!(ours.is_some());
            assert_eq!(ours, theirs, "full={full}");
        }
    }

    #[test]
    fn member_reports_and_consortium_serialize_as_the_federation_types_do() {
        use federation::{
            ConsortiumStatus, Coverage, MemberState, MemberStatus, NodeOutcome, NodeReport,
        };
        let outcomes = [
            NodeOutcome::Ok,
            NodeOutcome::Timeout,
            NodeOutcome::Unreachable {
                reason: "dial failed".into(),
            },
            NodeOutcome::Denied {
                code: "expired".into(),
            },
            NodeOutcome::Error {
                message: "boom".into(),
            },
        ];
        for (i, outcome) in outcomes.into_iter().enumerate() {
            let r = NodeReport {
                node: key(2),
                center: "Paris".into(),
                local: i == 0,
                outcome,
                latency_ms: (i % 2 == 0).then_some(12),
                hits: i,
                total: match i {
                    0 => Some(Count::Exact(4)),
                    1 => Some(Count::Below(5)),
                    _ => None,
                },
            };
            assert_eq!(
                serde_json::to_value(NodeReportBody::from(r.clone())).ok(),
                serde_json::to_value(&r).ok()
            );
        }
        let c = Coverage {
            answered: 2,
            members: 3,
        };
        assert_eq!(
            serde_json::to_value(CoverageBody::from(c)).ok(),
            serde_json::to_value(c).ok()
        );
        let states = [
            MemberState::Local,
            MemberState::Verified,
            MemberState::Connecting,
            MemberState::Disconnected,
        ];
        let s = ConsortiumStatus {
            node: key(3),
            consortium: key(4),
            roster_serial: 7,
            revocation_serial: None,
            revocation_issued_at: None,
            revocation_trusted_until: None,
            listen_addrs: vec!["/ip4/127.0.0.1/tcp/4001".into()],
            connected_peers: 2,
            running: true,
            members: states
                .into_iter()
                .enumerate()
                .map(|(i, state)| MemberStatus {
                    node: key(10 + i as u8),
                    center: format!("center {i}"),
                    addrs: vec![],
                    state,
                    last_seen: (i > 1).then_some(1_700_000_000),
                    last_error: (i == 3).then(|| "refused".into()),
                    agent: (i == 1).then(|| "neurofed/0.1".into()),
                })
                .collect(),
        };
        // The body is the status plus what it derives from the list's times.
        let mut body = serde_json::to_value(ConsortiumBody::from(s.clone())).unwrap();
        let derived = body.as_object_mut().unwrap();
        assert_eq!(
            derived.remove("revocation_age_s"),
            Some(serde_json::Value::Null)
        );
        let warnings = derived.remove("warnings").unwrap();
        assert!(warnings[0]
            .as_str()
            .unwrap()
            .starts_with("no revocation list yet"));
        assert_eq!(Some(body), serde_json::to_value(&s).ok());
    }

    #[test]
    fn the_consortium_body_warns_before_and_after_the_list_goes_stale() {
        let now = 1_800_000_000;
        let status = |issued: u64, until: Option<u64>| federation::ConsortiumStatus {
            node: key(3),
            consortium: key(4),
            roster_serial: 1,
            revocation_serial: Some(1),
            revocation_issued_at: Some(issued),
            revocation_trusted_until: until,
            listen_addrs: vec![],
            connected_peers: 0,
            running: true,
            members: vec![],
        };
        let week = 7 * 86_400;
        assert!(list_warnings(&status(now - 3_600, Some(now - 3_600 + week)), now).is_empty());
        let w = list_warnings(&status(now - 6 * 86_400 - 3_600, Some(now + 82_800)), now);
        assert!(w[0].contains("goes stale in 23 h"), "{w:?}");
        let w = list_warnings(&status(now - week - 7_200, Some(now - 7_200)), now);
        assert!(w[0].contains("went stale 2 h ago"), "{w:?}");
        // No bound configured: nothing to warn about.
        assert!(list_warnings(&status(now - 10 * week, None), now).is_empty());
    }

    #[test]
    fn a_federated_answer_keeps_suppressed_counts() {
        use protocol::query::{FacetCounts, FacetField, FacetValue};
        let r = federation::FederatedResults {
            results: SearchResults {
                total: Count::Below(5),
                hits: vec![hit(true)],
                facets: vec![FacetCounts {
                    field: FacetField::Nature,
                    values: vec![FacetValue {
                        value: "T1w".into(),
                        count: Count::Below(5),
                    }],
                    other: Count::Exact(0),
                    error_bound: Some(3),
                }],
            },
            nodes: vec![],
            coverage: federation::Coverage {
                answered: 1,
                members: 2,
            },
            elapsed_ms: 5,
        };
        let v = serde_json::to_value(FederatedBody::new(r, &[])).unwrap_or_default();
        // The CLI reads it back into the same type: nothing lost, facet order kept.
        let back: Option<FederatedBody> = serde_json::from_value(v.clone()).ok();
        assert_eq!(
            back.and_then(|b| serde_json::to_value(b).ok()),
            Some(v.clone())
        );
        assert_eq!(v["total"], "<5");
        assert_eq!(v["facets"]["nature"]["T1w"], "<5");
        assert_eq!(v["facet_other"]["nature"], 0);
        assert_eq!(v["facet_error_bound"]["nature"], 3);
        assert_eq!(v["pending_agreements"], serde_json::json!([]));
        assert!(v["hits"][0]["node"].is_string());
    }
}
