//! `neurofed search` and `neurofed reindex`: the local node's index, queried directly.
//!
//! The command line is the node's operator and sees everything, unless `--as USER` asks what a
//! user would see (their `see` scope, now or `--at` a given day): the same filter the HTTP API
//! applies to that user's searches.

use std::process::ExitCode;

use anyhow::{bail, Context};
use node::{self, Access, AccessScope, PendingAgreement, Principal, Right};
use node::{parse_facet, parse_filter, parse_sort};
use node::{Home, Node};
use protocol::query::{Page, SearchQuery, Sort};
use protocol::time::Date;
use web::SearchBody;

use super::print_json;

/// Arguments of `neurofed search`.
#[derive(Debug, clap::Args)]
pub struct SearchArgs {
    /// Free text (every word must match: `mprage`, `t1_mprage_sag_1mm`, `paris fmri`).
    query: Option<String>,
    /// A filter: `field:value`, `field:a,b` (any of), `-field:value`, `field:[min TO max]` (`*`
    /// open), `exam_date:[2020-01-01 TO *]`, as in the HTTP API. Repeat: all must hold.
    #[arg(
        long = "filter",
        short = 'f',
        value_name = "F",
        allow_hyphen_values = true
    )]
    filters: Vec<String>,
    /// A facet to count: `field` or `field:size`. Repeat for several.
    #[arg(long = "facet", value_name = "F")]
    facets: Vec<String>,
    /// Order of hits: `relevance` (descending by default), `exam_date`, `study`, `center`,
    /// `subject`, `modality`, `nature`, `qc_grade` (ascending by default); or `KEY:asc|desc`.
    #[arg(long, value_name = "KEY[:asc|desc]")]
    sort: Option<String>,
    /// Hits shown (0: counts only).
    #[arg(long, default_value_t = 20)]
    limit: u32,
    /// Hits skipped.
    #[arg(long, default_value_t = 0)]
    offset: u32,
    /// Search as this user would (their `see` rights), not as the operator.
    #[arg(long = "as", value_name = "USER")]
    as_user: Option<String>,
    /// With `--as`: evaluate the user's rights on this day (YYYY-MM-DD, noon UTC).
    #[arg(long, value_name = "DATE", requires = "as_user")]
    at: Option<String>,
    /// Print completions of QUERY (as typed so far) instead of searching.
    #[arg(long)]
    suggest: bool,
    /// Machine-readable output: the JSON of the HTTP API's `GET /api/v1/search` (`total`, `hits`,
    /// `facets`, `facet_other`, `pending_agreements`), or a list of completions.
    #[arg(long)]
    json: bool,
    /// Ask the running node (`neurofed serve`) to search every member of its consortium, with
    /// your token's rights, and merge the answers (hits, facet counts, per-node status).
    #[arg(long, conflicts_with_all = ["as_user", "at", "suggest"])]
    federated: bool,
    #[command(flatten)]
    api: super::federation::ApiArgs,
}

/// Arguments of `neurofed reindex`.
#[derive(Debug, clap::Args)]
pub struct ReindexArgs {
    /// Machine-readable output.
    #[arg(long)]
    json: bool,
}

/// The scope searched, and (with `--as`) the studies the user's pending agreements leave out.
fn scope(node: &Node, a: &SearchArgs) -> anyhow::Result<(AccessScope, Vec<PendingAgreement>)> {
    let Some(name) = &a.as_user else {
        return Ok((AccessScope::All, Vec::new()));
    };
    let access = Access::new(&node.catalog);
    let user = access.users().require(name)?;
    let now = match &a.at {
        None => node::now(),
        Some(d) => {
            let day: Date = d.parse().with_context(|| format!("--at {d:?}"))?;
            let start = day
                .start_unix()
                .with_context(|| format!("--at {d:?}: before 1970"))?;
            start + 12 * 3600
        }
    };
    Ok(access.scope_with_pending(&Principal::User(user), Right::See, now)?)
}

fn query(a: &SearchArgs) -> anyhow::Result<SearchQuery> {
    Ok(SearchQuery {
        text: a.query.clone().filter(|t| !t.trim().is_empty()),
        filters: a
            .filters
            .iter()
            .map(|f| parse_filter(f))
            .collect::<Result<_, _>>()?,
        facets: a
            .facets
            .iter()
            .map(|f| parse_facet(f))
            .collect::<Result<_, _>>()?,
        sort: match &a.sort {
            Some(s) => parse_sort(s)?,
            None => Sort::default(),
        },
        page: Page {
            offset: a.offset,
            size: a.limit,
        },
    })
}

pub fn search(home: &Home, a: SearchArgs) -> anyhow::Result<ExitCode> {
    if a.federated {
        return super::federation::search(super::federation::SearchArgs {
            text: a.query,
            federated: true,
            filters: a.filters,
            facets: a.facets,
            sort: a.sort,
            offset: a.offset,
            size: a.limit,
            json: a.json,
            api: a.api,
        });
    }
    let node = Node::open(home)?;
    let (scope, pending) = scope(&node, &a)?;
    if a.suggest {
        let Some(prefix) = &a.query else {
            bail!("--suggest completes QUERY: give the text typed so far");
        };
        let found = node.index.suggest(prefix, &scope, a.limit as usize)?;
        if a.json {
            print_json(&found)?;
        } else {
            for s in found {
                println!("{s}");
            }
        }
        return Ok(ExitCode::SUCCESS);
    }
    let q = query(&a)?;
    let body = SearchBody::new(node.index.search(&q, &scope)?, &pending)?;
    if a.json {
        print_json(&body)?;
    } else {
        print_results(&body);
    }
    Ok(ExitCode::SUCCESS)
}

fn print_results(r: &SearchBody) {
    println!("{} datasets", r.total);
    if !r.hits.is_empty() {
        println!(
            "{:<16} {:<16} {:<14} {:<10} {:<4} {:<9} {:<7} {:<24} DATASET",
            "STUDY", "CENTER", "SUBJECT", "DATE", "MOD", "NATURE", "QC", "SERIES"
        );
        for h in &r.hits {
            let cut = |s: &str, n: usize| s.chars().take(n).collect::<String>();
            let opt = |s: &Option<String>, n: usize| cut(s.as_deref().unwrap_or("-"), n);
            println!(
                "{:<16} {:<16} {:<14} {:<10} {:<4} {:<9} {:<7} {:<24} {}",
                cut(&h.study.name, 16),
                cut(&h.center, 16),
                cut(&h.subject, 14),
                opt(&h.exam_date, 10),
                cut(&h.modality, 4),
                opt(&h.nature, 9),
                h.qc_grade
                    .map(|g| format!("{g:?}").to_lowercase())
                    .unwrap_or_else(|| "-".into()),
                opt(&h.series_description, 24),
                h.dataset
            );
        }
    }
    for (field, values) in &r.facets.0 {
        let mut parts: Vec<String> = values.iter().map(|(v, n)| format!("{v} {n}")).collect();
        if let Some(&other) = r.facet_other.get(field).filter(|&&n| n > 0) {
            parts.push(format!("other {other}"));
        }
        println!(
            "{field}: {}",
            if parts.is_empty() {
                "-".to_string()
            } else {
                parts.join(", ")
            }
        );
    }
    for p in &r.pending_agreements {
        println!(
            "not searched: study {:?} ({}) until its data-use agreement (version {}) is accepted",
            p.study_name, p.study_id, p.version
        );
    }
}

pub fn reindex(home: &Home, a: ReindexArgs) -> anyhow::Result<ExitCode> {
    let node = Node::open(home)?;
    let n = node.index.rebuild(&node.catalog)?;
    if a.json {
        print_json(&serde_json::json!({ "datasets": n }))?;
    } else {
        println!("Indexed {n} datasets.");
    }
    Ok(ExitCode::SUCCESS)
}
