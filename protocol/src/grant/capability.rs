//! Access capabilities: "this principal may do these actions on these studies of that node".
//!
//! UCAN-like: the issuer signs a grant for an audience key; the audience may delegate a part of it
//! to another key by issuing a new grant whose `prf` (parent) is the hash of its own. Field names
//! are UCAN's short ones (`iss`, `aud`, `res`, `act`, `flt`, `nbf`, `exp`, `prf`) to keep
//! delegation chains small.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::check_window;
use crate::cbor::DecodeError;
use crate::id::StudyId;
use crate::keys::PublicKey;
use crate::signed::{check_version, invalid, GrantHash, Kind, SignedBody, VERSION};
use crate::time::UnixTime;

/// Most study ids in one grant.
pub const MAX_STUDIES_PER_GRANT: usize = 256;
/// Most values in one capability filter.
pub const MAX_FILTER_VALUES: usize = 64;

/// Something a capability permits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Counts only (small cells suppressed).
    Count,
    /// Search: hits and facet counts.
    Search,
    /// Download datasets.
    Download,
    /// Import data into the study.
    Import,
}

impl Action {
    /// Every action, in canonical order.
    pub const ALL: [Action; 4] = [
        Action::Count,
        Action::Search,
        Action::Download,
        Action::Import,
    ];

    /// Its name.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Count => "count",
            Action::Search => "search",
            Action::Download => "download",
            Action::Import => "import",
        }
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

/// Why a string is not an action list.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not an action (count, search, download, import)")]
pub struct ParseActionError(pub String);

impl FromStr for Action {
    type Err = ParseActionError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Action::ALL
            .into_iter()
            .find(|a| a.as_str() == s.trim())
            .ok_or_else(|| ParseActionError(s.chars().take(40).collect()))
    }
}

/// A set of actions. Wire form: the action names as an array, in canonical order.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ActionSet(u8);

impl ActionSet {
    /// No action.
    pub const fn empty() -> Self {
        ActionSet(0)
    }

    /// The set of these actions.
    pub fn of(actions: &[Action]) -> Self {
        ActionSet(actions.iter().fold(0, |acc, a| acc | a.bit()))
    }

    /// Whether `action` is in the set.
    pub fn contains(self, action: Action) -> bool {
        self.0 & action.bit() != 0
    }

    /// Whether every action of `self` is in `other`.
    pub fn is_subset(self, other: ActionSet) -> bool {
        self.0 & !other.0 == 0
    }

    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The actions, in canonical order.
    pub fn iter(self) -> impl Iterator<Item = Action> {
        Action::ALL.into_iter().filter(move |a| self.contains(*a))
    }
}

impl FromStr for ActionSet {
    type Err = ParseActionError;
    /// `search,download`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let actions = s
            .split(',')
            .map(str::parse)
            .collect::<Result<Vec<Action>, _>>()?;
        Ok(ActionSet::of(&actions))
    }
}

impl fmt::Display for ActionSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.iter().map(Action::as_str).collect();
        f.write_str(&names.join(","))
    }
}

impl fmt::Debug for ActionSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ActionSet({self})")
    }
}

impl Serialize for ActionSet {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        // A definite length (canonical CBOR): collect_seq would not know it.
        let mut seq = s.serialize_seq(Some(self.iter().count()))?;
        for a in self.iter() {
            seq.serialize_element(&a)?;
        }
        seq.end()
    }
}

impl<'de> Deserialize<'de> for ActionSet {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = ActionSet;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array of distinct actions")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Self::Value, A::Error> {
                let mut set = ActionSet::empty();
                while let Some(a) = seq.next_element::<Action>()? {
                    if set.contains(a) {
                        return Err(serde::de::Error::custom(format!(
                            "action {} listed twice",
                            a.as_str()
                        )));
                    }
                    set.0 |= a.bit();
                }
                Ok(set)
            }
        }
        d.deserialize_seq(V)
    }
}

/// What a capability is about: studies of one node, or that node's public studies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Resource {
    /// These studies (ids local to `node`) of `node`.
    Studies {
        /// Their ids on that node.
        ids: BTreeSet<StudyId>,
        /// The node that owns the studies.
        node: PublicKey,
    },
    /// Whatever `node` marks public.
    Public {
        /// The node.
        node: PublicKey,
    },
}

impl Resource {
    /// The node that owns the resource.
    pub fn node(&self) -> &PublicKey {
        match self {
            Resource::Studies { node, .. } | Resource::Public { node } => node,
        }
    }

    /// Whether `self` is within `parent`.
    pub fn is_within(&self, parent: &Resource) -> bool {
        match (self, parent) {
            (
                Resource::Studies { node, ids },
                Resource::Studies {
                    node: pn,
                    ids: pids,
                },
            ) => node == pn && ids.is_subset(pids),
            (Resource::Public { node }, Resource::Public { node: pn }) => node == pn,
            _ => false,
        }
    }

    /// Whether the resource covers `study` of `node`. The public set is the owning node's to
    /// decide: for [`Resource::Public`] this answers `None`.
    pub fn covers(&self, node: &PublicKey, study: &StudyId) -> Option<bool> {
        match self {
            Resource::Studies { node: n, ids } => Some(n == node && ids.contains(study)),
            Resource::Public { node: n } => (n != node).then_some(false),
        }
    }
}

/// Optional narrowing of what a capability shows: only these modalities, only these natures.
/// Absent means no restriction.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CapabilityFilters {
    /// Allowed dataset natures (`T1w`, `FLAIR`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nature: Option<BTreeSet<String>>,
    /// Allowed modalities (DICOM codes: `MR`, `CT`, `PT`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modality: Option<BTreeSet<String>>,
}

impl CapabilityFilters {
    /// No restriction.
    pub fn is_empty(&self) -> bool {
        self.modality.is_none() && self.nature.is_none()
    }

    /// Whether `self` restricts at least as much as `parent`.
    pub fn is_within(&self, parent: &CapabilityFilters) -> bool {
        fn within(c: &Option<BTreeSet<String>>, p: &Option<BTreeSet<String>>) -> bool {
            match (c, p) {
                (_, None) => true,
                (None, Some(_)) => false,
                (Some(c), Some(p)) => c.is_subset(p),
            }
        }
        within(&self.modality, &parent.modality) && within(&self.nature, &parent.nature)
    }
}

/// How a delegated grant is wider than its parent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Widening {
    /// A study (or node) the parent does not cover.
    Resource,
    /// An action the parent does not permit.
    Actions,
    /// Fewer filters than the parent.
    Filters,
    /// Expires after the parent.
    Expiry,
    /// Valid before the parent.
    NotBefore,
}

impl fmt::Display for Widening {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Widening::Resource => "covers studies its parent does not",
            Widening::Actions => "permits actions its parent does not",
            Widening::Filters => "drops a filter of its parent",
            Widening::Expiry => "expires after its parent",
            Widening::NotBefore => "starts before its parent",
        })
    }
}

/// An access capability.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Capability {
    /// Format version ([`VERSION`]).
    #[serde(rename = "v")]
    pub version: u32,
    /// What it permits.
    #[serde(rename = "act")]
    pub actions: ActionSet,
    /// Who receives: requests using this grant are accepted only from this key.
    #[serde(rename = "aud")]
    pub audience: PublicKey,
    /// Valid until, exclusive (unix seconds).
    #[serde(rename = "exp")]
    pub expires: UnixTime,
    /// Optional narrowing.
    #[serde(
        rename = "flt",
        default,
        skip_serializing_if = "CapabilityFilters::is_empty"
    )]
    pub filters: CapabilityFilters,
    /// Who grants (and signs).
    #[serde(rename = "iss")]
    pub issuer: PublicKey,
    /// Valid from (unix seconds).
    #[serde(rename = "nbf")]
    pub not_before: UnixTime,
    /// The grant this one is delegated from (absent on a root grant).
    #[serde(rename = "prf", default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<GrantHash>,
    /// On what.
    #[serde(rename = "res")]
    pub resource: Resource,
}

impl Capability {
    /// A root grant (no parent, no filters).
    pub fn new(
        issuer: PublicKey,
        audience: PublicKey,
        resource: Resource,
        actions: ActionSet,
        not_before: UnixTime,
        expires: UnixTime,
    ) -> Self {
        Capability {
            version: VERSION,
            issuer,
            audience,
            resource,
            actions,
            filters: CapabilityFilters::default(),
            not_before,
            expires,
            parent: None,
        }
    }

    /// A delegation of `parent` (by its audience) to `audience`, with the same scope: narrow it
    /// by changing fields before signing.
    pub fn delegate(parent: &crate::signed::Signed<Capability>, audience: PublicKey) -> Self {
        let p = parent.body();
        Capability {
            version: VERSION,
            issuer: p.audience,
            audience,
            resource: p.resource.clone(),
            actions: p.actions,
            filters: p.filters.clone(),
            not_before: p.not_before,
            expires: p.expires,
            parent: Some(parent.hash()),
        }
    }

    /// Check that `self` is no wider than `parent`.
    pub fn attenuates(&self, parent: &Capability) -> Result<(), Widening> {
        if !self.resource.is_within(&parent.resource) {
            return Err(Widening::Resource);
        }
        if !self.actions.is_subset(parent.actions) {
            return Err(Widening::Actions);
        }
        if !self.filters.is_within(&parent.filters) {
            return Err(Widening::Filters);
        }
        if self.expires > parent.expires {
            return Err(Widening::Expiry);
        }
        if self.not_before < parent.not_before {
            return Err(Widening::NotBefore);
        }
        Ok(())
    }
}

impl SignedBody for Capability {
    const KIND: Kind = Kind::Capability;
    const MAX_BYTES: usize = 16 << 10;
    const WHAT: &'static str = "capability";

    fn signer(&self) -> &PublicKey {
        &self.issuer
    }

    fn check(&self) -> Result<(), DecodeError> {
        check_version(Self::WHAT, self.version)?;
        check_window(Self::WHAT, self.not_before, self.expires)?;
        if self.actions.is_empty() {
            return Err(invalid(
                Self::WHAT,
                "a capability permits at least one action",
            ));
        }
        if let Resource::Studies { ids, .. } = &self.resource {
            if ids.is_empty() || ids.len() > MAX_STUDIES_PER_GRANT {
                return Err(invalid(
                    Self::WHAT,
                    format!("a capability names 1 to {MAX_STUDIES_PER_GRANT} studies"),
                ));
            }
        }
        for values in [&self.filters.modality, &self.filters.nature]
            .into_iter()
            .flatten()
        {
            if values.len() > MAX_FILTER_VALUES || values.iter().any(|v| v.len() > 64) {
                return Err(invalid(
                    Self::WHAT,
                    format!("a filter holds at most {MAX_FILTER_VALUES} values of 64 bytes"),
                ));
            }
        }
        Ok(())
    }
}
