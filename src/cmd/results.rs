//! The one printer of search answers, local ([`SearchBody`]) or federated ([`FederatedBody`]:
//! the same keys, counts that may be `"<k"`, plus how each member fared). `neurofed search`,
//! `search --federated` and `neurofed demo` all print through [`print()`].

use std::collections::BTreeMap;

use web::{CoverageBody, FederatedBody, NodeReportBody, SearchHit};
use web::{FacetMap, SearchBody};
use web::{MemberOutcome, PendingAgreementBody};

use crate::out::cut;
use crate::outln;

/// What a search answer has to show, whichever kind it is.
pub struct View<'a> {
    total: String,
    hits: &'a [SearchHit],
    facets: Vec<(&'a str, Vec<(&'a str, String)>)>,
    other: BTreeMap<&'a str, String>,
    bounds: Option<&'a BTreeMap<String, u64>>,
    pending: &'a [PendingAgreementBody],
    nodes: &'a [NodeReportBody],
    coverage: Option<&'a CoverageBody>,
}

/// A facet map's fields and values with their counts as printed.
fn facet_rows<C: std::fmt::Display>(m: &FacetMap<C>) -> Vec<(&str, Vec<(&str, String)>)> {
    m.0.iter()
        .map(|(f, vs)| {
            let values = vs.iter().map(|(v, n)| (v.as_str(), n.to_string()));
            (f.as_str(), values.collect())
        })
        .collect()
}

impl<'a> From<&'a SearchBody> for View<'a> {
    fn from(b: &'a SearchBody) -> Self {
        View {
            total: b.total.to_string(),
            hits: &b.hits,
            facets: facet_rows(&b.facets),
            other: b
                .facet_other
                .iter()
                .filter(|(_, n)| **n > 0)
                .map(|(f, n)| (f.as_str(), n.to_string()))
                .collect(),
            bounds: None,
            pending: &b.pending_agreements,
            nodes: &[],
            coverage: None,
        }
    }
}

impl<'a> From<&'a FederatedBody> for View<'a> {
    fn from(b: &'a FederatedBody) -> Self {
        View {
            total: b.total.to_string(),
            hits: &b.hits,
            facets: facet_rows(&b.facets),
            other: b
                .facet_other
                .iter()
                .filter(|(_, n)| n.exact() != Some(0))
                .map(|(f, n)| (f.as_str(), n.to_string()))
                .collect(),
            bounds: Some(&b.facet_error_bound),
            pending: &b.pending_agreements,
            nodes: &b.nodes,
            coverage: Some(&b.coverage),
        }
    }
}

fn outcome(o: MemberOutcome) -> &'static str {
    match o {
        MemberOutcome::Ok => "ok",
        MemberOutcome::Timeout => "timeout",
        MemberOutcome::Unreachable => "unreachable",
        MemberOutcome::Denied => "denied",
        MemberOutcome::Error => "error",
    }
}

/// Print an answer for people: the total, the hits (with the node holding each in federated
/// answers), the facet counts, the members' reports and the studies left out.
pub fn print(v: &View<'_>) -> std::io::Result<()> {
    outln!("{} datasets", v.total)?;
    let federated = v.coverage.is_some();
    if !v.hits.is_empty() {
        outln!(
            "{:<16} {:<16} {:<14} {:<10} {:<4} {:<9} {:<7} {:<24} {}",
            "STUDY",
            "CENTER",
            "SUBJECT",
            "DATE",
            "MOD",
            "NATURE",
            "QC",
            "SERIES",
            if federated { "CONTENT" } else { "DATASET" }
        )?;
    }
    for h in v.hits {
        let opt = |s: &Option<String>, n: usize| cut(s.as_deref().unwrap_or("-"), n);
        let qc = h
            .qc_grade
            .and_then(|g| serde_json::to_value(g).ok())
            .and_then(|g| g.as_str().map(str::to_string))
            .unwrap_or_else(|| "-".into());
        outln!(
            "{:<16} {:<16} {:<14} {:<10} {:<4} {:<9} {:<7} {:<24} {}",
            cut(&h.study.name, 16),
            cut(&h.center, 16),
            cut(&h.subject, 14),
            opt(&h.exam_date, 10),
            cut(&h.modality, 4),
            opt(&h.nature, 9),
            qc,
            opt(&h.series_description, 24),
            if federated { &h.content } else { &h.dataset }
        )?;
    }
    for (field, values) in &v.facets {
        let mut parts: Vec<String> = values.iter().map(|(v, n)| format!("{v} {n}")).collect();
        if let Some(other) = v.other.get(field) {
            parts.push(format!("other {other}"));
        }
        let bound = v
            .bounds
            .and_then(|b| b.get(*field))
            .map(|b| format!(" (each within {b})"))
            .unwrap_or_default();
        let parts = if parts.is_empty() {
            "-".to_string()
        } else {
            parts.join(", ")
        };
        outln!("{field}: {parts}{bound}")?;
    }
    if let Some(c) = v.coverage {
        outln!("coverage: {}/{} nodes answered", c.answered, c.members)?;
    }
    for n in v.nodes {
        let detail = n
            .code
            .as_deref()
            .or(n.reason.as_deref())
            .or(n.message.as_deref())
            .unwrap_or("");
        outln!(
            "  {:<14} {:<12} {:>6} ms  {:>5} hits  total {:<6} {detail}",
            cut(&n.center, 14),
            outcome(n.status),
            n.latency_ms.map_or("-".to_string(), |l| l.to_string()),
            n.hits,
            n.total.map_or("-".to_string(), |t| t.to_string()),
        )?;
    }
    for code in v
        .nodes
        .iter()
        .filter_map(|n| n.code.as_deref())
        .collect::<std::collections::BTreeSet<_>>()
    {
        if let Some(why) = explain(code) {
            outln!("{code}: {why}")?;
        }
    }
    for p in v.pending {
        outln!(
            "not searched: study {:?} ({}) until its data-use agreement (version {}) is accepted",
            p.study_name,
            p.study_id,
            p.version
        )?;
    }
    Ok(())
}

/// What a member's refusal code means for the person reading it, where the code alone does not
/// say what to do.
fn explain(code: &str) -> Option<&'static str> {
    Some(match code {
        "revocation_list_stale" => {
            "that member's revocation list of the consortium is missing or past its validity \
             window, so it trusts no grant; the coordinator's service (`neurofed serve \
             --coordinator`) re-signs and spreads it: ask the coordinator whether it runs and \
             reaches the members (docs/federation.md, \"When the coordinator is away\")"
        }
        "no_grant" => "this node holds no grant for that member's studies (`neurofed grant add`)",
        "not_a_member" => {
            "that member's roster does not list this node yet: the coordinator publishes a new \
             roster (`neurofed serve --coordinator` spreads it)"
        }
        _ => return None,
    })
}
