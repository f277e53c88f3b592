//! proptest strategies for protocol values, shared by the codec and no-panic tests.
#![allow(dead_code)]

use std::collections::BTreeSet;

use proptest::collection::{btree_set, vec};
use proptest::option;
use proptest::prelude::*;
use protocol::grant::{
    Action, ActionSet, Capability, CapabilityFilters, Membership, Resource, Role, Roster,
    RosterMember,
};
use protocol::id::{DatasetId, StudyId};
use protocol::query::*;
use protocol::time::Date;
use protocol::{ContentId, GrantHash, PublicKey, SecretKey};

pub fn secret() -> impl Strategy<Value = SecretKey> {
    any::<[u8; 32]>().prop_map(|s| SecretKey::from_seed(&s))
}

pub fn public() -> impl Strategy<Value = PublicKey> {
    any::<[u8; 32]>().prop_map(PublicKey::from_bytes_unchecked)
}

pub fn text() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9 _\\-éü]{1,24}"
}

pub fn window() -> impl Strategy<Value = (u64, u64)> {
    (0u64..u64::MAX / 2, 1u64..u64::MAX / 2).prop_map(|(a, d)| (a, a + d))
}

pub fn resource() -> impl Strategy<Value = Resource> {
    prop_oneof![
        (
            public(),
            btree_set(any::<[u8; 16]>().prop_map(StudyId::from_bytes), 1..5)
        )
            .prop_map(|(node, ids)| Resource::Studies { node, ids }),
        public().prop_map(|node| Resource::Public { node }),
    ]
}

pub fn actions() -> impl Strategy<Value = ActionSet> {
    btree_set(proptest::sample::select(Action::ALL.to_vec()), 1..4)
        .prop_map(|s| ActionSet::of(&s.into_iter().collect::<Vec<_>>()))
}

fn set_of_text() -> impl Strategy<Value = Option<BTreeSet<String>>> {
    option::of(btree_set(text(), 0..4))
}

pub fn capability_for(issuer: PublicKey) -> impl Strategy<Value = Capability> {
    (
        public(),
        resource(),
        actions(),
        set_of_text(),
        set_of_text(),
        window(),
        option::of(any::<[u8; 32]>().prop_map(GrantHash::from_bytes)),
    )
        .prop_map(
            move |(aud, res, act, modality, nature, (nbf, exp), parent)| {
                let mut c = Capability::new(issuer, aud, res, act, nbf, exp);
                c.filters = CapabilityFilters { modality, nature };
                c.parent = parent;
                c
            },
        )
}

pub fn membership_for(consortium: PublicKey) -> impl Strategy<Value = Membership> {
    (
        public(),
        text(),
        btree_set(
            prop_oneof![Just(Role::Member), Just(Role::CoordinatorDelegate)],
            1..3,
        ),
        window(),
    )
        .prop_map(move |(member, center, roles, (nbf, exp))| {
            let mut m = Membership::new(consortium, member, center, nbf, exp);
            m.roles = roles;
            m
        })
}

pub fn roster_for(consortium: PublicKey) -> impl Strategy<Value = Roster> {
    (
        any::<u64>(),
        any::<u64>(),
        proptest::collection::btree_map(
            any::<[u8; 32]>(),
            (text(), vec("/ip4/127\\.0\\.0\\.1/tcp/[0-9]{1,5}", 0..3)),
            0..5,
        ),
    )
        .prop_map(move |(serial, at, members)| {
            let members = members
                .into_iter()
                .map(|(k, (center, addrs))| RosterMember {
                    node: PublicKey::from_bytes_unchecked(k),
                    center,
                    addrs,
                })
                .collect();
            Roster::new(consortium, serial, at, members)
        })
}

fn finite() -> impl Strategy<Value = f64> {
    // Three decimals: what a person types, and what JSON parsers read back exactly.
    prop_oneof![
        (-1e9f64..1e9).prop_map(|x| x.round() / 1000.0),
        Just(0.0),
        Just(1.5),
        Just(3.0)
    ]
}

pub fn date() -> impl Strategy<Value = Date> {
    (1900u16..2100, 1u8..=12, 1u8..=28).prop_map(|(y, m, d)| Date::new(y, m, d).unwrap())
}

pub fn filter() -> impl Strategy<Value = Filter> {
    prop_oneof![
        (
            proptest::sample::select(FacetField::ALL.to_vec()),
            vec(text(), 1..4),
            any::<bool>()
        )
            .prop_map(|(field, values, exclude)| Filter::Term {
                field,
                values,
                exclude
            }),
        (
            proptest::sample::select(RangeField::ALL.to_vec()),
            option::of(finite()),
            option::of(finite())
        )
            .prop_map(|(field, min, max)| Filter::Range { field, min, max }),
        (option::of(date()), option::of(date()))
            .prop_map(|(from, to)| Filter::DateRange { from, to }),
        (
            "[A-Za-z0-9_-]{0,8}",
            option::of("[A-Za-z0-9_.-]{0,8}"),
            prop_oneof![
                Just(ScoreTest::Any),
                (
                    option::of(finite()),
                    option::of(finite()),
                    any::<bool>(),
                    any::<bool>()
                )
                    .prop_map(|(min, max, min_exclusive, max_exclusive)| {
                        ScoreTest::Range {
                            min,
                            max,
                            min_exclusive,
                            max_exclusive,
                        }
                    }),
                vec(text(), 0..4).prop_map(|values| ScoreTest::Values { values }),
            ]
        )
            .prop_map(|(instrument, variable, test)| Filter::Score(ScoreFilter {
                instrument,
                variable,
                test
            })),
    ]
}

pub fn query() -> impl Strategy<Value = SearchQuery> {
    (
        option::of(text()),
        vec(filter(), 0..5),
        vec(
            (
                proptest::sample::select(FacetField::ALL.to_vec()),
                0u32..1200,
            )
                .prop_map(|(field, size)| FacetRequest { field, size }),
            0..4,
        ),
        proptest::sample::select(SortKey::ALL.to_vec()),
        any::<bool>(),
        any::<u32>(),
        any::<u32>(),
    )
        .prop_map(
            |(text, filters, facets, by, asc, offset, size)| SearchQuery {
                text,
                filters,
                facets,
                sort: Sort {
                    by,
                    order: if asc { SortOrder::Asc } else { SortOrder::Desc },
                },
                page: Page { offset, size },
            },
        )
}

pub fn count() -> impl Strategy<Value = Count> {
    prop_oneof![
        any::<u64>().prop_map(Count::Exact),
        (2u32..100).prop_map(Count::Below)
    ]
}

pub fn hit() -> impl Strategy<Value = Hit> {
    (
        (
            option::of(public()),
            any::<[u8; 16]>(),
            text(),
            any::<[u8; 16]>(),
            text(),
            text(),
        ),
        (
            option::of(date()),
            text(),
            option::of(text()),
            option::of(text()),
        ),
        (
            vec(any::<u32>(), 0..4),
            any::<u32>(),
            any::<[u8; 32]>(),
            any::<bool>(),
        ),
        option::of(-1e3f32..1e3),
    )
        .prop_map(
            |(
                (node, ds, center, st, name, subject),
                (exam_date, modality, series, nature),
                (dims, instances, content, has_nifti),
                score,
            )| Hit {
                node,
                dataset: DatasetId::from_bytes(ds),
                center,
                study: StudyRef {
                    id: StudyId::from_bytes(st),
                    name,
                },
                subject,
                exam_date,
                modality,
                series_description: series,
                nature,
                contrast: None,
                qc_grade: Some(QcGrade::Warning),
                dims,
                instances,
                content: ContentId::from_bytes(content),
                has_nifti,
                score,
            },
        )
}

pub fn results() -> impl Strategy<Value = SearchResults> {
    (
        count(),
        vec(hit(), 0..3),
        vec(
            (
                proptest::sample::select(FacetField::ALL.to_vec()),
                vec(
                    (text(), count()).prop_map(|(value, count)| FacetValue { value, count }),
                    0..4,
                ),
                count(),
                option::of(any::<u64>()),
            )
                .prop_map(|(field, values, other, error_bound)| FacetCounts {
                    field,
                    values,
                    other,
                    error_bound,
                }),
            0..3,
        ),
    )
        .prop_map(|(total, hits, facets)| SearchResults {
            total,
            hits,
            facets,
        })
}
