//! The answering side of a federated search: verify the capability the request carries, turn it
//! into an access scope on this node, run the search there, and sign the answer.
//!
//! Never runs anything for a request that does not verify. A count-only capability (`count`
//! without `search`) gets no hits and its small counts suppressed (`"<k"`). Refusals are signed
//! answers with status `denied` and the refusal's code, so the asking node can report them.

use std::sync::{Arc, RwLock};

use node::{AccessScope, StudyScope};
use protocol::grant::{Action, Resource};
use protocol::id::StudyId;
use protocol::keys::{PublicKey, SecretKey};
use protocol::query::{Count, FacetField, Filter, Page, SearchQuery, SearchResults};
use protocol::signed::Signed;
use protocol::verify::{
    Policy, Refusal, Revocations, RootAuthority, RootCheck, VerifiedCache, VerifiedCapability,
    Verifier,
};
use protocol::wire::{self, ContentRequest, NodeStatus, Response, SearchRequest, WireError};
use protocol::GrantHash;

use crate::backend::SearchBackend;

/// Chains verified and kept (the checks that depend on time, revocations and requester run on
/// every use).
const CACHE_CHAINS: usize = 4096;

/// Everything an answer needs; shared by the blocking threads that answer.
pub(crate) struct Responder {
    pub(crate) secret: SecretKey,
    pub(crate) me: PublicKey,
    pub(crate) backend: Arc<dyn SearchBackend>,
    pub(crate) policy: Policy,
    pub(crate) revocations: Arc<RwLock<Revocations>>,
    pub(crate) cache: VerifiedCache,
    pub(crate) count_threshold: u32,
    /// Count-only searches answered per grant today.
    pub(crate) count_budget: CountBudget,
    /// Request ids answered, until their deadlines (searches and content requests).
    pub(crate) replays: crate::replay::ReplayGuard,
}

impl std::fmt::Debug for Responder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Responder").field("me", &self.me).finish()
    }
}

/// The node's own key always administers its studies (checked by the verifier); a local user's
/// key does when the catalog gives it `administer` on every study named.
struct LocalAuthority<'a> {
    me: &'a PublicKey,
    backend: &'a dyn SearchBackend,
}

impl RootAuthority for LocalAuthority<'_> {
    fn administers(&self, issuer: &PublicKey, resource: &Resource) -> Option<bool> {
        if resource.node() != self.me {
            return None;
        }
        match resource {
            Resource::Studies { ids, .. } => Some(self.backend.administers(issuer, ids)),
            Resource::Public { .. } => Some(false),
        }
    }
}

/// What a verified capability lets the requester do here.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Permit {
    pub(crate) scope: AccessScope,
    pub(crate) count_only: bool,
    pub(crate) query: SearchQuery,
    pub(crate) requester: PublicKey,
    pub(crate) grant: GrantHash,
}

/// What a grant's filters are checked against on download: the dataset's modality and the
/// nature its study card gave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DatasetLabels {
    pub(crate) modality: String,
    pub(crate) nature: Option<String>,
}

/// Whether a dataset with `labels` passes `filters` (case-insensitively, as search terms); with
/// a filter and no labels (a copy whose labels are not known here) it does not.
pub(crate) fn check_filters(
    filters: &protocol::grant::CapabilityFilters,
    labels: Option<&DatasetLabels>,
) -> Result<(), String> {
    if filters.is_empty() {
        return Ok(());
    }
    let Some(labels) = labels else {
        return Err("with modality or nature filters on a dataset whose labels are not known here (ask its owner)".into());
    };
    let allows = |set: &Option<std::collections::BTreeSet<String>>, value: Option<&str>| match set {
        None => true,
        Some(set) => value.is_some_and(|v| set.iter().any(|s| s.eq_ignore_ascii_case(v))),
    };
    if !allows(&filters.modality, Some(&labels.modality)) {
        return Err(format!(
            "on a dataset of modality {} (the grant's filter)",
            labels.modality
        ));
    }
    if !allows(&filters.nature, labels.nature.as_deref()) {
        return Err(format!(
            "on a dataset of nature {} (the grant's filter)",
            labels.nature.as_deref().unwrap_or("unknown")
        ));
    }
    Ok(())
}

impl Responder {
    pub(crate) fn new(
        secret: SecretKey,
        backend: Arc<dyn SearchBackend>,
        policy: Policy,
        revocations: Arc<RwLock<Revocations>>,
        count_threshold: u32,
    ) -> Self {
        Responder {
            me: secret.public(),
            secret,
            backend,
            policy,
            revocations,
            cache: VerifiedCache::new(CACHE_CHAINS),
            count_threshold,
            count_budget: CountBudget::new(crate::config::DEFAULT_COUNT_BUDGET),
            replays: crate::replay::ReplayGuard::default(),
        }
    }

    /// At most `per_day` count-only searches answered per grant and UTC day.
    pub(crate) fn with_count_budget(mut self, per_day: u32) -> Self {
        self.count_budget = CountBudget::new(per_day);
        self
    }

    /// Verify a request's chain and invocation: who it is granted to, and the capability.
    fn verify(
        &self,
        peer: &PublicKey,
        auth: &wire::Authorization,
        digest: Result<[u8; 32], protocol::cbor::EncodeError>,
        what: &'static str,
        now: u64,
    ) -> Result<(PublicKey, Arc<VerifiedCapability>), Refusal> {
        let digest = digest.map_err(|e| {
            Refusal::Malformed(protocol::cbor::DecodeError::Invalid {
                what,
                reason: e.to_string(),
            })
        })?;
        let requester = auth.requester(peer, &digest)?;
        let revocations = self.revocations.read().unwrap_or_else(|e| e.into_inner());
        let authority = LocalAuthority {
            me: &self.me,
            backend: self.backend.as_ref(),
        };
        let verifier = Verifier {
            policy: &self.policy,
            revocations: &revocations,
            authority: &authority,
            cache: Some(&self.cache),
        };
        let v = verifier.verify(&auth.chain, &requester, now)?;
        Ok((requester, v))
    }

    /// Check the request's capability; the scope, mode and query to run.
    pub(crate) fn permit(
        &self,
        peer: &PublicKey,
        req: &SearchRequest,
        now: u64,
    ) -> Result<Permit, Refusal> {
        let Some(auth) = &req.auth else {
            return Err(Refusal::EmptyChain);
        };
        let digest = req.invocation_digest(&self.me, &auth.chain);
        let (requester, v) = self.verify(peer, auth, digest, "search request", now)?;
        let count_only = if v.permits(Action::Search, &self.me, None).is_ok() {
            false
        } else {
            v.permits(Action::Count, &self.me, None)?;
            true
        };
        let scope = match &v.resource {
            Resource::Studies { ids, .. } => AccessScope::Studies(
                ids.iter()
                    .map(|s| StudyScope {
                        study: *s,
                        centers: None,
                    })
                    .collect(),
            ),
            Resource::Public { .. } => {
                let mut ids = self.backend.public_studies().unwrap_or_else(|e| {
                    tracing::warn!("cannot list public studies: {e}");
                    Vec::new()
                });
                ids.sort();
                ids.dedup();
                AccessScope::Studies(
                    ids.into_iter()
                        .map(|s| StudyScope {
                            study: s,
                            centers: None,
                        })
                        .collect(),
                )
            }
        };
        let mut query = req.query.clone();
        for (field, values) in [
            (FacetField::Modality, &v.filters.modality),
            (FacetField::Nature, &v.filters.nature),
        ] {
            if let Some(values) = values {
                query.filters.push(Filter::Term {
                    field,
                    values: values.iter().cloned().collect(),
                    exclude: false,
                });
            }
        }
        if count_only {
            query.page = Page { offset: 0, size: 0 };
        }
        Ok(Permit {
            requester,
            grant: v.leaf(),
            scope,
            count_only,
            query,
        })
    }

    /// Check a content request's capability for `download` on `study` of this node (the study
    /// of the dataset it is asked through); who it is granted to and under which grant.
    /// `public`: whether that study is public here (for `public` grants).
    pub(crate) fn permit_download(
        &self,
        peer: &PublicKey,
        req: &ContentRequest,
        study: Option<&StudyId>,
        labels: Option<&DatasetLabels>,
        is_public: impl FnOnce(&StudyId) -> bool,
        now: u64,
    ) -> Result<(PublicKey, GrantHash), Refusal> {
        self.permit_download_of(peer, req, &self.me, (study, labels), is_public, now)
    }

    /// [`Self::permit_download`] for a dataset of `owner`: this node's own (`owner` is this
    /// node), or a copy it fetched from `owner`. A copy is served only under a grant whose root
    /// the owner node itself issued (`RootCheck::OwnerNode`: whether one of its users
    /// administers the study cannot be told here) and never under a `public` grant (whether the
    /// owner's study is public cannot be told either).
    pub(crate) fn permit_download_of(
        &self,
        peer: &PublicKey,
        req: &ContentRequest,
        owner: &PublicKey,
        (study, labels): (Option<&StudyId>, Option<&DatasetLabels>),
        is_public: impl FnOnce(&StudyId) -> bool,
        now: u64,
    ) -> Result<(PublicKey, GrantHash), Refusal> {
        let Some(auth) = &req.auth else {
            return Err(Refusal::EmptyChain);
        };
        if req.deadline_ms == 0 {
            return Err(Refusal::Deadline {
                code: "deadline_missing",
            });
        }
        let digest = req.invocation_digest(&self.me, &auth.chain);
        let (requester, v) = self.verify(peer, auth, digest, "content request", now)?;
        // Remembered only once the chain and invocation verified: strangers fill nothing.
        self.admit_once(&requester, req.id, req.deadline_ms, crate::now_ms())?;
        let refuse = |what: String| Refusal::NotPermitted {
            grant: v.leaf(),
            action: Action::Download,
            what,
        };
        // Only after the chain verified: whether the dataset exists is not told to strangers.
        let Some(study) = study else {
            return Err(refuse(format!(
                "on dataset {} (not a dataset of this node)",
                req.within.unwrap_or(req.content)
            )));
        };
        v.permits(Action::Download, owner, Some(study))?;
        // Asked only of `public` grants: listing the public studies reads the catalog.
        if matches!(v.resource, Resource::Public { .. }) && !is_public(study) {
            return Err(refuse(format!("on study {study} (not public)")));
        }
        // The grant's modality / nature filters hold on download as on search; a node that
        // cannot tell the dataset's labels (a copy-holder) refuses a filtered grant.
        check_filters(&v.filters, labels).map_err(refuse)?;
        if owner != &self.me && v.root != RootCheck::OwnerNode {
            return Err(refuse(format!(
                "on a copy of a dataset of {owner} (only grants issued by that node itself are checkable here)"
            )));
        }
        Ok((requester, v.leaf()))
    }

    /// Admit request `id` of `requester` once until its deadline (`Refusal::Replayed` after).
    fn admit_once(
        &self,
        requester: &PublicKey,
        id: u64,
        deadline_ms: u64,
        now_ms: u64,
    ) -> Result<(), Refusal> {
        use crate::replay::Replay;
        match self.replays.admit(requester, id, deadline_ms, now_ms) {
            Ok(()) => Ok(()),
            Err(Replay::Replayed) => Err(Refusal::Replayed { id }),
            Err(other) => Err(Refusal::Deadline { code: other.code() }),
        }
    }

    /// The answer to a verified member's search request, at `now_ms` (unix milliseconds).
    pub(crate) fn answer(&self, peer: &PublicKey, req: &SearchRequest, now_ms: u64) -> Response {
        let digest = match wire::SearchResponse::digest_query(&req.query) {
            Ok(d) => d,
            Err(e) => return error(req.id, "internal", &e.to_string()),
        };
        if now_ms > req.deadline_ms {
            return error(
                req.id,
                "deadline_passed",
                "the request arrived after its deadline",
            );
        }
        let permitted = self.permit(peer, req, now_ms / 1000).and_then(|p| {
            self.admit_once(&p.requester, req.id, req.deadline_ms, now_ms)?;
            Ok(p)
        });
        let over_budget = permitted
            .as_ref()
            .is_ok_and(|p| p.count_only && !self.count_budget.take(p.grant, now_ms / 1000));
        let (status, results) = match permitted {
            Err(refusal) => {
                tracing::info!(%peer, code = refusal.code(), "search refused: {refusal}");
                (NodeStatus::Denied(refusal.code().to_string()), None)
            }
            Ok(_) if over_budget => {
                tracing::info!(%peer, "count-only search refused: the grant's budget for today is spent");
                (NodeStatus::Denied("count_budget".into()), None)
            }
            Ok(permit) => match self.backend.search(&permit.query, &permit.scope) {
                Ok(mut r) => {
                    if permit.count_only {
                        suppress(&mut r, self.count_threshold);
                    }
                    // Audited here, synchronously, before the answer leaves.
                    let record = crate::backend::InboundSearch {
                        peer: *peer,
                        requester: permit.requester,
                        grant: permit.grant,
                        count_only: permit.count_only,
                        filters: req.query.filters.len(),
                        facets: req.query.facets.len(),
                        total: match r.total {
                            Count::Exact(n) => n.to_string(),
                            Count::Below(k) => format!("<{k}"),
                        },
                    };
                    if let Err(e) = self.backend.audit_search(&record) {
                        tracing::error!(%peer, "search not audited, answer withheld: {e}");
                        return error(req.id, "internal", "the answer could not be audited");
                    }
                    (NodeStatus::Ok, Some(r))
                }
                Err(e) => {
                    tracing::warn!(%peer, "search failed: {e}");
                    (
                        NodeStatus::Error("the search failed on this node".into()),
                        None,
                    )
                }
            },
        };
        let body = wire::search_response(self.me, req.id, digest, now_ms, status, results);
        match Signed::sign(body, &self.secret) {
            Ok(s) => Response::Search(s),
            Err(e) => {
                tracing::warn!("cannot sign a search response: {e}");
                error(req.id, "internal", "the answer could not be signed")
            }
        }
    }
}

fn error(id: u64, code: &str, message: &str) -> Response {
    Response::Error(WireError {
        id: Some(id),
        code: code.into(),
        message: message.into(),
    })
}

/// Count-only searches answered per grant (the chain's leaf) and UTC day, within a budget: differencing many overlapping counts is how a suppressed cell is
/// narrowed, so their number is bounded. At most [`CountBudget::MAX_KEYS`] grants are tracked
/// (yesterday's are forgotten first; when full of today's, a new grant is refused).
pub(crate) struct CountBudget {
    per_day: u32,
    used: std::sync::Mutex<std::collections::HashMap<[u8; 32], (u64, u32)>>,
}

impl CountBudget {
    const MAX_KEYS: usize = 100_000;

    pub(crate) fn new(per_day: u32) -> Self {
        CountBudget {
            per_day,
            used: std::sync::Mutex::default(),
        }
    }

    /// Spend one search of `grant`'s budget at `now` (unix seconds); false when spent.
    pub(crate) fn take(&self, grant: GrantHash, now: u64) -> bool {
        let key = *grant.as_bytes();
        let day = now / 86_400;
        let mut used = self.used.lock().unwrap_or_else(|e| e.into_inner());
        if used.len() >= Self::MAX_KEYS && !used.contains_key(&key) {
            used.retain(|_, (d, _)| *d == day);
            if used.len() >= Self::MAX_KEYS {
                return false;
            }
        }
        let e = used.entry(key).or_insert((day, 0));
        if e.0 != day {
            *e = (day, 0);
        }
        if e.1 >= self.per_day {
            return false;
        }
        e.1 += 1;
        true
    }
}

/// Counts only: no hits; the total and every listed count rounded down to a multiple of
/// `threshold` ([`Count::coarse`]: below it, `"<threshold"`), so the difference of two queries
/// (`-exam_year:2021`) tells no more than a multiple of it. Facet values whose count is below the
/// threshold are not listed: their sum joins `other`, which is itself coarse and so never an exact
/// 0. A value absent from a count-only list may therefore be a small cell or none at all, and a
/// listed `"<k"` (which would tell "at least one") never appears.
pub(crate) fn suppress(r: &mut SearchResults, threshold: u32) {
    let s = |c: Count| match c {
        Count::Exact(n) => Count::coarse(n, threshold),
        other => other,
    };
    r.hits.clear();
    r.total = s(r.total);
    for f in &mut r.facets {
        let mut folded = f.other.upper_bound();
        f.values.retain(|v| {
            let n = v.count.upper_bound();
            let listed = threshold < 2 || n >= u64::from(threshold);
            if !listed {
                folded = folded.saturating_add(n);
            }
            listed
        });
        for v in &mut f.values {
            v.count = s(v.count);
        }
        f.other = Count::coarse(folded, threshold);
    }
}

#[cfg(test)]
mod filter_tests {
    use super::*;
    use protocol::grant::CapabilityFilters;
    use protocol::query::{FacetCounts, FacetField, FacetValue};

    #[test]
    fn count_only_answers_hide_zero_and_small_cells_and_round_the_rest() {
        let value = |v: &str, n: u64| FacetValue {
            value: v.into(),
            count: Count::Exact(n),
        };
        let mut r = SearchResults {
            total: Count::Exact(23),
            hits: vec![],
            facets: vec![FacetCounts {
                field: FacetField::Sex,
                values: vec![value("F", 21), value("M", 2), value("O", 0)],
                other: Count::Exact(0),
                error_bound: None,
            }],
        };
        suppress(&mut r, 5);
        assert_eq!(r.total, Count::Exact(20));
        let listed: Vec<(&str, Count)> = r.facets[0]
            .values
            .iter()
            .map(|v| (v.value.as_str(), v.count))
            .collect();
        assert_eq!(
            listed,
            [("F", Count::Exact(20))],
            "small cells are not listed"
        );
        assert_eq!(
            r.facets[0].other,
            Count::Below(5),
            "never an exact 0: an absent value may be a small cell"
        );
        // The same answer with the small cells absent altogether: nothing tells them apart.
        let mut without = SearchResults {
            total: Count::Exact(21),
            hits: vec![],
            facets: vec![FacetCounts {
                field: FacetField::Sex,
                values: vec![value("F", 21)],
                other: Count::Exact(0),
                error_bound: None,
            }],
        };
        suppress(&mut without, 5);
        assert_eq!(without, r);
        // The query without the two "M" datasets answers the same total: the difference is hid.
        let mut narrower = SearchResults {
            total: Count::Exact(21),
            ..SearchResults::default()
        };
        suppress(&mut narrower, 5);
        assert_eq!(narrower.total, r.total);
    }

    fn set(v: &[&str]) -> Option<std::collections::BTreeSet<String>> {
        Some(v.iter().map(|s| s.to_string()).collect())
    }

    #[test]
    fn download_filters_hold_and_unknown_labels_refuse_a_filtered_grant() {
        let mr_t1 = DatasetLabels {
            modality: "MR".into(),
            nature: Some("T1w".into()),
        };
        let none = CapabilityFilters::default();
        assert!(check_filters(&none, None).is_ok());
        let ct = CapabilityFilters {
            modality: set(&["CT"]),
            nature: None,
        };
        assert!(check_filters(&ct, Some(&mr_t1)).is_err());
        let mr = CapabilityFilters {
            modality: set(&["mr"]),
            nature: None,
        };
        assert!(check_filters(&mr, Some(&mr_t1)).is_ok());
        let flair = CapabilityFilters {
            modality: None,
            nature: set(&["FLAIR"]),
        };
        assert!(check_filters(&flair, Some(&mr_t1)).is_err());
        let unlabelled = DatasetLabels {
            modality: "MR".into(),
            nature: None,
        };
        assert!(check_filters(&flair, Some(&unlabelled)).is_err());
        // A copy-holder knows no labels: any filter refuses.
        assert!(check_filters(&mr, None).is_err());
    }
}

#[cfg(test)]
mod replay_tests {
    use super::*;
    use protocol::grant::{ActionSet, Capability, CapabilityChain};
    use protocol::query::{Count, SearchQuery};
    use protocol::wire::{Authorization, ContentRequest};
    use std::collections::BTreeSet;

    struct Empty;
    impl SearchBackend for Empty {
        fn center(&self) -> String {
            "Here".into()
        }
        fn search(&self, _: &SearchQuery, _: &AccessScope) -> Result<SearchResults, String> {
            Ok(SearchResults {
                total: Count::Exact(0),
                hits: vec![],
                facets: vec![],
            })
        }
        fn public_studies(&self) -> Result<Vec<StudyId>, String> {
            Ok(vec![])
        }
        fn administers(&self, _: &PublicKey, _: &BTreeSet<StudyId>) -> bool {
            false
        }
        fn audit_search(&self, _: &crate::backend::InboundSearch) -> Result<(), String> {
            Ok(())
        }
    }

    fn setup() -> (Responder, SecretKey, Authorization, StudyId) {
        let me = SecretKey::from_seed(&[1; 32]);
        let peer = SecretKey::from_seed(&[2; 32]);
        let study = StudyId::new();
        let now = crate::now_ms() / 1000;
        let c = Capability::new(
            me.public(),
            peer.public(),
            Resource::Studies {
                ids: [study].into_iter().collect(),
                node: me.public(),
            },
            "search,download".parse::<ActionSet>().unwrap(),
            now - 60,
            now + 3_600,
        );
        let chain = CapabilityChain::new(vec![Signed::sign(c, &me).unwrap()]).unwrap();
        let responder = Responder::new(
            me,
            Arc::new(Empty),
            Policy::offline(),
            Arc::new(RwLock::new(Revocations::new())),
            5,
        );
        (
            responder,
            peer,
            Authorization {
                chain,
                invocation: None,
            },
            study,
        )
    }

    fn status(r: &Response) -> NodeStatus {
        match r {
            Response::Search(s) => s.body().status.clone(),
            other => panic!("not a search answer: {other:?}"),
        }
    }

    #[test]
    fn a_search_sent_again_is_refused_as_replayed_and_a_new_id_is_answered() {
        let (r, peer, auth, _) = setup();
        let now = crate::now_ms();
        let mut req = SearchRequest {
            id: 42,
            query: SearchQuery::default(),
            auth: Some(auth),
            deadline_ms: now + 2_000,
        };
        assert_eq!(status(&r.answer(&peer.public(), &req, now)), NodeStatus::Ok);
        assert_eq!(
            status(&r.answer(&peer.public(), &req, now + 10)),
            NodeStatus::Denied("replayed".into())
        );
        req.id = 43;
        assert_eq!(
            status(&r.answer(&peer.public(), &req, now + 20)),
            NodeStatus::Ok
        );
        req.id = 44;
        req.deadline_ms = now + 3_600_000;
        assert_eq!(
            status(&r.answer(&peer.public(), &req, now + 30)),
            NodeStatus::Denied("deadline_too_far".into())
        );
    }

    #[test]
    fn a_content_request_needs_a_deadline_and_is_admitted_once() {
        let (r, peer, auth, study) = setup();
        let mut req = ContentRequest {
            id: 7,
            content: protocol::ContentId::of(b"manifest"),
            ranges: vec![],
            within: None,
            auth: Some(auth),
            deadline_ms: 0,
        };
        let permit = |req: &ContentRequest| {
            r.permit_download(
                &peer.public(),
                req,
                Some(&study),
                None,
                |_| false,
                crate::now_ms() / 1000,
            )
            .map(|_| ())
            .map_err(|e| e.code())
        };
        assert_eq!(permit(&req), Err("deadline_missing"));
        req.deadline_ms = crate::now_ms() + 30_000;
        assert_eq!(permit(&req), Ok(()));
        assert_eq!(permit(&req), Err("replayed"));
        // The id is remembered per requester whatever the deadline says.
        req.deadline_ms += 1;
        assert_eq!(permit(&req), Err("replayed"));
        req.id = 8;
        assert_eq!(permit(&req), Ok(()));
    }
}
