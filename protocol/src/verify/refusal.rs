//! Why a grant or request is refused.

use serde::Serialize;

use crate::cbor::DecodeError;
use crate::grant::{Action, Widening};
use crate::keys::{ConsortiumId, PublicKey};
use crate::signed::GrantHash;
use crate::time::{format_utc, UnixTime};

/// How the links of a chain fail to connect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChainBreak {
    /// A link's issuer is not the audience of the link before it.
    IssuerIsNotParentAudience,
    /// A link's parent hash is not the hash of the link before it.
    ParentMismatch,
    /// The first link names a parent: the chain is missing its root.
    MissingRoot,
}

/// The precise reason a verification refused. [`Refusal::code`] gives a stable short name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Refusal {
    /// The bytes are not a valid document.
    #[error("malformed: {0}")]
    Malformed(#[from] DecodeError),
    /// A signature does not verify.
    #[error("bad signature on {what} {grant} (signer {signer})")]
    BadSignature {
        /// The kind of document.
        what: &'static str,
        /// Its hash.
        grant: GrantHash,
        /// The key it claims as signer.
        signer: PublicKey,
    },
    /// A grant expired.
    #[error("grant {grant} expired at {}", format_utc(*.expired_at))]
    Expired {
        /// The grant.
        grant: GrantHash,
        /// Its expiry.
        expired_at: UnixTime,
        /// The time of the check.
        now: UnixTime,
    },
    /// A grant is not valid yet.
    #[error("grant {grant} is not valid before {}", format_utc(*.not_before))]
    NotYetValid {
        /// The grant.
        grant: GrantHash,
        /// Its start.
        not_before: UnixTime,
        /// The time of the check.
        now: UnixTime,
    },
    /// A grant was revoked.
    #[error("grant {grant} is revoked")]
    Revoked {
        /// The grant.
        grant: GrantHash,
    },
    /// The request does not come from the grant's audience.
    #[error("grant {grant} is for {audience}, not for {requester}")]
    WrongAudience {
        /// The presented grant.
        grant: GrantHash,
        /// Its audience.
        audience: PublicKey,
        /// Who presented it.
        requester: PublicKey,
    },
    /// A delegated grant is wider than its parent.
    #[error("delegated grant {grant} {how}")]
    WidenedDelegation {
        /// The widening grant.
        grant: GrantHash,
        /// How it widens.
        how: Widening,
    },
    /// The links of a chain do not connect.
    #[error("grant {grant} does not follow from the one before it ({reason:?})")]
    BrokenChain {
        /// The link that does not connect.
        grant: GrantHash,
        /// How.
        reason: ChainBreak,
    },
    /// A consortium this node does not belong to.
    #[error("unknown consortium {consortium}")]
    UnknownConsortium {
        /// Its id.
        consortium: ConsortiumId,
    },
    /// A node is not a member of the consortium.
    #[error("{node} is not a member of consortium {consortium}")]
    NotAMember {
        /// The node.
        node: PublicKey,
        /// The consortium.
        consortium: ConsortiumId,
    },
    /// More delegations than the policy allows.
    #[error("chain of {len} grants is longer than the limit of {max}")]
    ChainTooLong {
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// No grant at all.
    #[error("empty chain")]
    EmptyChain,
    /// The root issuer does not administer the study on the node that owns it.
    #[error("root grant {grant}: {issuer} does not administer these studies on {node}")]
    RootNotAuthorized {
        /// The root grant.
        grant: GrantHash,
        /// Its issuer.
        issuer: PublicKey,
        /// The owning node.
        node: PublicKey,
    },
    /// The (valid) capability does not cover what is asked.
    #[error("grant {grant} does not permit {} {what}", .action.as_str())]
    NotPermitted {
        /// The presented grant.
        grant: GrantHash,
        /// The action asked.
        action: Action,
        /// On what.
        what: String,
    },
    /// This node's revocation list is too old to trust any grant.
    #[error("{}", stale_message(*.issued_at, *.valid_until, *.max_age))]
    RevocationListStale {
        /// When the newest list was issued, if any.
        issued_at: Option<UnixTime>,
        /// Until when it was trusted (its window, or its issue plus the maximum age).
        valid_until: Option<UnixTime>,
        /// The time of the check.
        now: UnixTime,
        /// The configured maximum age.
        max_age: u64,
    },
    /// This node holds as many individual revocations as it will.
    #[error("too many individual revocations held (limit {max}): wait for the coordinator's list")]
    TooManyRevocations {
        /// The limit.
        max: usize,
    },
    /// A roster or revocation list is not newer than the one held.
    #[error("{what} version {got} is not newer than version {have}")]
    NotNewer {
        /// Roster or revocation list.
        what: &'static str,
        /// The version held.
        have: u64,
        /// The version offered.
        got: u64,
    },
    /// The same request (requester and id) was answered before, within its deadline.
    #[error("request {id} was answered already: a replay is refused")]
    Replayed {
        /// The request id.
        id: u64,
    },
    /// The request's deadline is missing, passed or too far ahead; or the node remembers too
    /// many requests to admit one more now.
    #[error("{}", match *.code {
        "deadline_missing" => "the request carries no deadline (a client older than this node)",
        "deadline_passed" => "the request arrived after its deadline",
        "deadline_too_far" => "the request's deadline is too far ahead (clocks out of step?)",
        _ => "too many requests in flight: try again shortly",
    })]
    Deadline {
        /// `deadline_missing`, `deadline_passed`, `deadline_too_far` or `overloaded`.
        code: &'static str,
    },
}

impl Refusal {
    /// A stable machine-readable name of the reason.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::Malformed(_) => "malformed",
            Refusal::BadSignature { .. } => "bad_signature",
            Refusal::Expired { .. } => "expired",
            Refusal::NotYetValid { .. } => "not_yet_valid",
            Refusal::Revoked { .. } => "revoked",
            Refusal::WrongAudience { .. } => "wrong_audience",
            Refusal::WidenedDelegation { .. } => "widened_delegation",
            Refusal::BrokenChain { .. } => "broken_chain",
            Refusal::UnknownConsortium { .. } => "unknown_consortium",
            Refusal::NotAMember { .. } => "not_a_member",
            Refusal::ChainTooLong { .. } => "chain_too_long",
            Refusal::EmptyChain => "empty_chain",
            Refusal::RootNotAuthorized { .. } => "root_not_authorized",
            Refusal::NotPermitted { .. } => "not_permitted",
            Refusal::RevocationListStale { .. } => "revocation_list_stale",
            Refusal::TooManyRevocations { .. } => "too_many_revocations",
            Refusal::NotNewer { .. } => "not_newer",
            Refusal::Replayed { .. } => "replayed",
            Refusal::Deadline { code } => code,
        }
    }
}

fn stale_message(
    issued_at: Option<UnixTime>,
    valid_until: Option<UnixTime>,
    max_age: u64,
) -> String {
    match (issued_at, valid_until) {
        (None, _) => format!(
            "this node holds no revocation list of its consortium yet, so it trusts no grant: it \
             takes one from the coordinator or the first member it reaches (lists without a \
             window are trusted {max_age} s)"
        ),
        (Some(i), Some(u)) => format!(
            "this node's revocation list (issued {}) expired {}: the coordinator's service has \
             not reached it since; grants are refused until a newer list arrives",
            format_utc(i),
            format_utc(u)
        ),
        (Some(i), None) => format!(
            "revocation list is stale (issued {}, max age {max_age} s)",
            format_utc(i)
        ),
    }
}
