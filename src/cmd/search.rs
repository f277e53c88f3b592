//! `neurofed search`: the local node's index queried directly, or (`--federated`) the running
//! node asked over its HTTP API with the caller's token. Either way the filter, facet and sort
//! strings are those of `GET /api/v1/search`, parsed by the node's one parser, and the answer is
//! printed by the one printer ([`super::results`]) or as the API's JSON.
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
use web::{ApiClient, SearchAnswer, SearchParams};

use super::results::{print, View};
use crate::out::json;
use crate::outln;

/// Where the running node is, and the caller's token.
#[derive(Debug, clap::Args)]
pub struct ApiArgs {
    /// The running node's HTTP API.
    #[arg(long, env = "NEUROFED_NODE", default_value = "http://127.0.0.1:8080")]
    pub node: String,
    /// API token (`neurofed user token`).
    #[arg(long, env = "NEUROFED_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
}

impl ApiArgs {
    /// A client of the running node.
    pub fn client(&self) -> ApiClient {
        ApiClient::new(&self.node, self.token.clone())
    }
}

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
    /// `facets`, `facet_other`, `pending_agreements`; federated: also `nodes`, `coverage`,
    /// `facet_error_bound`, `elapsed_ms`), or a list of completions.
    #[arg(long)]
    json: bool,
    /// Ask the running node (`neurofed serve`) to search every member of its consortium, with
    /// your token's rights, and merge the answers (hits, facet counts, per-node status).
    #[arg(long, conflicts_with_all = ["as_user", "at", "suggest"])]
    federated: bool,
    #[command(flatten)]
    api: ApiArgs,
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

/// `--federated`: the same strings, to the running node.
fn federated(a: SearchArgs) -> anyhow::Result<ExitCode> {
    let params = SearchParams {
        text: a.query.clone(),
        filters: a.filters.clone(),
        facets: a.facets.clone(),
        sort: a.sort.clone(),
        offset: a.offset,
        limit: a.limit,
        federated: true,
    };
    match a.api.client().search(&params)? {
        SearchAnswer::Federated(body) if a.json => json(&body)?,
        SearchAnswer::Federated(body) => print(&View::from(&body))?,
        SearchAnswer::Local(body) if a.json => json(&body)?,
        SearchAnswer::Local(body) => print(&View::from(&body))?,
    }
    Ok(ExitCode::SUCCESS)
}

pub fn search(home: &Home, a: SearchArgs) -> anyhow::Result<ExitCode> {
    if a.federated {
        return federated(a);
    }
    let node = Node::open(home)?;
    let (scope, pending) = scope(&node, &a)?;
    if a.suggest {
        let Some(prefix) = &a.query else {
            bail!("--suggest completes QUERY: give the text typed so far");
        };
        let found = node.index.suggest(prefix, &scope, a.limit as usize)?;
        if a.json {
            json(&found)?;
        } else {
            for s in found {
                outln!("{s}")?;
            }
        }
        return Ok(ExitCode::SUCCESS);
    }
    let body = SearchBody::new(node.index.search(&query(&a)?, &scope)?, &pending)?;
    if a.json {
        json(&body)?;
    } else {
        print(&View::from(&body))?;
    }
    Ok(ExitCode::SUCCESS)
}
