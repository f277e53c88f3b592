//! A small, obviously correct search backend over synthetic datasets: the reference the network
//! paths are checked against while the node's real index is being built.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use federation::merge::compare_hits;
use federation::SearchBackend;
use node::AccessScope;
use protocol::id::{DatasetId, StudyId};
use protocol::keys::PublicKey;
use protocol::query::{
    Count, FacetCounts, FacetField, Filter, Hit, SearchQuery, SearchResults, StudyRef,
};
use protocol::ContentId;

/// One dataset and its facet values.
#[derive(Debug, Clone)]
pub struct Dataset {
    pub hit: Hit,
    pub fields: BTreeMap<FacetField, String>,
}

#[derive(Debug, Default)]
pub struct Fake {
    pub center: String,
    pub datasets: Vec<Dataset>,
    pub public: Vec<StudyId>,
    pub admins: Mutex<HashSet<PublicKey>>,
    pub delay: Mutex<Duration>,
    pub calls: AtomicUsize,
    /// The inbound searches audited, as their audit lines.
    pub audited: Mutex<Vec<federation::InboundSearch>>,
}

impl Fake {
    pub fn new(center: &str, datasets: Vec<Dataset>) -> Fake {
        Fake {
            center: center.into(),
            datasets,
            ..Fake::default()
        }
    }

    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    pub fn set_delay(&self, d: Duration) {
        *self.delay.lock().unwrap() = d;
    }
}

fn matches(d: &Dataset, query: &SearchQuery, scope: &AccessScope) -> bool {
    if !scope.allows(d.hit.study.id, None) {
        return false;
    }
    query.filters.iter().all(|f| match f {
        Filter::Term {
            field,
            values,
            exclude,
        } => {
            let has = d.fields.get(field).is_some_and(|v| values.contains(v));
            has != *exclude
        }
        _ => true,
    })
}

impl SearchBackend for Fake {
    fn center(&self) -> String {
        self.center.clone()
    }

    fn audit_search(&self, record: &federation::InboundSearch) -> Result<(), String> {
        self.audited.lock().unwrap().push(record.clone());
        Ok(())
    }

    fn search(&self, query: &SearchQuery, scope: &AccessScope) -> Result<SearchResults, String> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let delay = *self.delay.lock().unwrap();
        if !delay.is_zero() {
            std::thread::sleep(delay);
        }
        let found: Vec<&Dataset> = self
            .datasets
            .iter()
            .filter(|d| matches(d, query, scope))
            .collect();
        let facets = query
            .facets
            .iter()
            .map(|f| {
                let mut counts: BTreeMap<&str, u64> = BTreeMap::new();
                for d in &found {
                    if let Some(v) = d.fields.get(&f.field) {
                        *counts.entry(v.as_str()).or_default() += 1;
                    }
                }
                FacetCounts::ranked(f.field, counts, f.size as usize)
            })
            .collect();
        let mut hits: Vec<Hit> = found.iter().map(|d| d.hit.clone()).collect();
        hits.sort_by(|a, b| compare_hits(query.sort, a, b));
        let hits = hits
            .into_iter()
            .skip(query.page.offset as usize)
            .take(query.page.size as usize)
            .collect();
        Ok(SearchResults {
            total: Count::Exact(found.len() as u64),
            hits,
            facets,
        })
    }

    fn public_studies(&self) -> Result<Vec<StudyId>, String> {
        Ok(self.public.clone())
    }

    fn administers(&self, key: &PublicKey, _studies: &BTreeSet<StudyId>) -> bool {
        self.admins.lock().unwrap().contains(key)
    }
}

/// `n` synthetic datasets of `study` at `center`, deterministic in `seed`.
pub fn synth(n: usize, seed: u64, center: &str, study: StudyId) -> Vec<Dataset> {
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut next = move |m: u64| {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (x >> 33) % m
    };
    let modalities = ["MR", "MR", "MR", "CT", "PT"];
    let natures = ["T1w", "T2w", "FLAIR", "DWI", "bold", "T1w", "FLAIR"];
    let sexes = ["F", "M"];
    let models = [
        "Prisma",
        "Skyra",
        "Achieva",
        "Ingenia",
        "Signa",
        "Discovery",
        "Aera",
    ];
    (0..n)
        .map(|i| {
            let modality = modalities[next(5) as usize];
            let nature = natures[next(7) as usize];
            let sex = sexes[next(2) as usize];
            let model = models[next(7) as usize];
            let band = format!("{}-{}", 20 + 10 * next(6), 29 + 10 * next(6));
            let subject = format!("sub-{:04}", next(400));
            let mut id = [0u8; 16];
            id[..8].copy_from_slice(&seed.to_be_bytes());
            id[8..].copy_from_slice(&(i as u64).to_be_bytes());
            let hit = Hit {
                node: None,
                dataset: DatasetId::from_bytes(id),
                center: center.into(),
                study: StudyRef {
                    id: study,
                    name: "MS cohort".into(),
                },
                subject,
                exam_date: None,
                modality: modality.into(),
                series_description: Some(format!("{nature} series")),
                nature: Some(nature.into()),
                contrast: None,
                qc_grade: None,
                dims: vec![],
                instances: 1 + next(200) as u32,
                content: ContentId::of(&id),
                has_nifti: false,
                score: None,
            };
            let fields = BTreeMap::from([
                (FacetField::Modality, modality.to_string()),
                (FacetField::Nature, nature.to_string()),
                (FacetField::Sex, sex.to_string()),
                (FacetField::Model, model.to_string()),
                (FacetField::AgeBand, band),
                (FacetField::Center, center.to_string()),
                (FacetField::Study, "MS cohort".to_string()),
            ]);
            Dataset { hit, fields }
        })
        .collect()
}
