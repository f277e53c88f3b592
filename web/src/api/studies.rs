//! `GET /studies` and `GET /studies/{id}`: the studies a caller may act on, and one study's tree
//! (subjects > examinations > acquisitions > datasets), paginated by subject so that a study of
//! 10,000 subjects opens as fast as one of ten: a page reads only its own subjects' subtrees.
//!
//! A center-limited `see` right shows only the examinations acquired at its centers (and the
//! subjects that have at least one of them).

use std::collections::HashMap;

use axum::extract::State;
use axum::Json;
use node::{Access, AccessScope, Principal, Right};
use node::{Acquisition, Catalog, Dataset, Examination, Study, Subject};
use node::{AuditAction, NewEvent};
use protocol::id::{
    AcquisitionId, CenterId, DatasetId, EquipmentId, ExaminationId, StudyId, SubjectId,
};
use serde::Serialize;
use utoipa::ToSchema;

use super::{about_study, study_label, PathParams, QueryParams, StudyKey};
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::state::{blocking, now, AppState};

/// Subjects per page by default.
pub(crate) const DEFAULT_SUBJECTS_PER_PAGE: u64 = 50;
/// Most subjects per page.
pub(crate) const MAX_SUBJECTS_PER_PAGE: u64 = 500;
/// Most children read per entity below a subject (a guard, far above real studies).
const MAX_CHILDREN: usize = 10_000;

/// Which part of a study a caller may see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum View {
    /// All of it.
    All,
    /// Only data acquired at these centers.
    Centers(Vec<CenterId>),
}

impl View {
    pub(crate) fn allows(&self, center: CenterId) -> bool {
        match self {
            View::All => true,
            View::Centers(cs) => cs.contains(&center),
        }
    }
}

/// What `principal` may exercise `right` on in `study`, or the precise refusal (403), naming
/// the study.
pub(crate) fn view_of(
    access: Access<'_>,
    principal: &Principal,
    right: Right,
    study: &Study,
    t: u64,
) -> ApiResult<View> {
    let named = about_study(study);
    match access.scope(principal, right, t).map_err(&named)? {
        AccessScope::All => Ok(View::All),
        AccessScope::Studies(v) => match v.into_iter().find(|s| s.study == study.id) {
            Some(s) => Ok(s.centers.map_or(View::All, View::Centers)),
            None => {
                access
                    .check(principal, right, study.id, None, t)
                    .map_err(&named)?;
                Err(ApiError::forbidden(format!(
                    "no {right} right on {}",
                    study_label(study)
                )))
            }
        },
    }
}

/// A study in listings.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct StudySummary {
    /// Id (`st_…`).
    pub id: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// `in_progress` or `finished`.
    pub status: String,
    /// Visible (`see`) to every account.
    pub public: bool,
    /// Hidden from non-members until this date.
    pub embargo_until: Option<String>,
    /// Creation, unix seconds.
    pub created_at: u64,
    /// The caller's effective rights on it.
    pub rights: Vec<String>,
    /// When the caller's `see` right is limited to some centers: their ids.
    pub see_centers: Option<Vec<String>>,
    /// Subjects (omitted when the caller sees only some centers).
    pub subjects: Option<u64>,
}

fn summarize(
    catalog: &Catalog,
    s: &Study,
    rights: Vec<String>,
    see: Option<&View>,
) -> ApiResult<StudySummary> {
    let see_centers = match see {
        Some(View::Centers(cs)) => Some(cs.iter().map(ToString::to_string).collect()),
        _ => None,
    };
    let subjects = match see {
        Some(View::All) => Some(catalog.children(s.id.to_bytes(), 0, usize::MAX)?.len() as u64),
        _ => None,
    };
    Ok(StudySummary {
        id: s.id.to_string(),
        name: s.name.clone(),
        description: s.description.clone(),
        status: serde_json::to_value(s.status)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default(),
        public: s.public,
        embargo_until: s.embargo_until.clone(),
        created_at: s.created_at,
        rights,
        see_centers,
        subjects,
    })
}

/// `GET /studies`.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct StudyList {
    /// Studies on which the caller holds at least one right, by name.
    pub studies: Vec<StudySummary>,
}

/// The studies the caller holds any right on (public ones included), with their rights.
#[utoipa::path(get, path = "/api/v1/studies", operation_id = "list_studies", tag = "studies",
    responses((status = 200, body = StudyList), (status = 401, body = ErrorBody)))]
pub(crate) async fn list(State(st): State<AppState>, auth: Auth) -> ApiResult<Json<StudyList>> {
    blocking(move || {
        let access = st.access();
        let p = auth.principal();
        let t = now();
        let mut views: HashMap<StudyId, (Vec<String>, Option<View>)> = HashMap::new();
        let studies = st.node.catalog.studies()?;
        for right in Right::ALL {
            let scope = access.scope(&p, right, t)?;
            for s in &studies {
                let view = match &scope {
                    AccessScope::All => Some(View::All),
                    AccessScope::Studies(v) => v
                        .iter()
                        .find(|x| x.study == s.id)
                        .map(|x| x.centers.clone().map_or(View::All, View::Centers)),
                };
                if let Some(view) = view {
                    let e = views.entry(s.id).or_default();
                    e.0.push(right.to_string());
                    if right == Right::See {
                        e.1 = Some(view);
                    }
                }
            }
        }
        let mut out = Vec::new();
        for s in &studies {
            if let Some((rights, see)) = views.remove(&s.id) {
                out.push(summarize(&st.node.catalog, s, rights, see.as_ref())?);
            }
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(Json(StudyList { studies: out }))
    })
    .await
}

/// A center.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct CenterRef {
    /// Id (`ce_…`).
    pub id: String,
    /// Name.
    pub name: String,
}

/// A scanner.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct EquipmentBody {
    /// Id (`eq_…`).
    pub id: String,
    /// Manufacturer.
    pub manufacturer: String,
    /// Model.
    pub model: String,
    /// Field strength, tesla.
    pub field_strength: Option<f64>,
}

/// A dataset in the study tree.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct DatasetNode {
    /// Id (`ds_…`).
    pub id: String,
    /// Content id (blake3 of its DICOM manifest).
    pub content: String,
    /// DICOM instances.
    pub instances: u32,
    /// Bytes of the DICOM instances.
    pub bytes: u64,
    /// Whether a NIfTI expression exists.
    pub has_nifti: bool,
}

/// An acquisition (series) in the study tree.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct AcquisitionNode {
    /// Id (`aq_…`).
    pub id: String,
    /// DICOM modality.
    pub modality: String,
    /// SeriesNumber.
    pub series_number: Option<i64>,
    /// SeriesDescription (de-identified).
    pub series_description: Option<String>,
    /// Nature from the study card.
    pub nature: Option<String>,
    /// BIDS datatype.
    pub bids_datatype: Option<String>,
    /// Quality grade.
    pub grade: Option<String>,
    /// Datasets.
    pub datasets: Vec<DatasetNode>,
}

/// An examination in the study tree.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct ExaminationNode {
    /// Id (`ex_…`).
    pub id: String,
    /// Date, shifted by de-identification.
    pub date: Option<String>,
    /// Age at examination, years.
    pub age_years: Option<f64>,
    /// Where.
    pub center: CenterRef,
    /// The scanner.
    pub equipment: Option<EquipmentBody>,
    /// Acquisitions.
    pub acquisitions: Vec<AcquisitionNode>,
}

/// A subject in the study tree.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct SubjectNode {
    /// Id (`su_…`).
    pub id: String,
    /// Pseudonym.
    pub pseudonym: String,
    /// Sex, when retained.
    pub sex: Option<String>,
    /// Birth year, when retained.
    pub birth_year: Option<i32>,
    /// Examinations visible to the caller.
    pub examinations: Vec<ExaminationNode>,
}

/// `GET /studies/{id}`.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct StudyTree {
    /// The study.
    pub study: StudySummary,
    /// Subjects skipped.
    pub offset: u64,
    /// Subjects asked.
    pub limit: u64,
    /// The next page's offset, when there may be more subjects.
    pub next_offset: Option<u64>,
    /// Subjects in the study (omitted when the caller sees only some centers).
    pub subjects_total: Option<u64>,
    /// This page of subjects, oldest first.
    pub subjects: Vec<SubjectNode>,
}

/// Reads tree nodes with small caches of centers and scanners.
pub(crate) struct TreeReader<'a> {
    catalog: &'a Catalog,
    centers: HashMap<CenterId, String>,
    equipment: HashMap<EquipmentId, Option<EquipmentBody>>,
}

impl<'a> TreeReader<'a> {
    pub(crate) fn new(catalog: &'a Catalog) -> ApiResult<Self> {
        let centers = catalog
            .centers()?
            .into_iter()
            .map(|c| (c.id, c.name))
            .collect();
        Ok(TreeReader {
            catalog,
            centers,
            equipment: HashMap::new(),
        })
    }

    pub(crate) fn center(&self, id: CenterId) -> CenterRef {
        CenterRef {
            id: id.to_string(),
            name: self.centers.get(&id).cloned().unwrap_or_default(),
        }
    }

    pub(crate) fn equipment(
        &mut self,
        id: Option<EquipmentId>,
    ) -> ApiResult<Option<EquipmentBody>> {
        let Some(id) = id else { return Ok(None) };
        if let Some(e) = self.equipment.get(&id) {
            return Ok(e.clone());
        }
        let e = self.catalog.equipment(id)?.map(|e| EquipmentBody {
            id: e.id.to_string(),
            manufacturer: e.manufacturer,
            model: e.model,
            field_strength: e.field_strength,
        });
        self.equipment.insert(id, e.clone());
        Ok(e)
    }

    fn children(&self, parent: [u8; 16]) -> ApiResult<Vec<[u8; 16]>> {
        Ok(self.catalog.children(parent, 0, MAX_CHILDREN)?)
    }

    fn subject(&mut self, s: Subject, view: &View) -> ApiResult<Option<SubjectNode>> {
        let mut exams = Vec::new();
        for x in self.children(s.id.to_bytes())? {
            let Some(x) = self.catalog.examination(ExaminationId::from_bytes(x))? else {
                continue;
            };
            if view.allows(x.center) {
                exams.push(self.examination(x)?);
            }
        }
        if exams.is_empty() && *view != View::All {
            return Ok(None);
        }
        Ok(Some(SubjectNode {
            id: s.id.to_string(),
            pseudonym: s.pseudonym,
            sex: s.sex,
            birth_year: s.birth_year,
            examinations: exams,
        }))
    }

    pub(crate) fn examination(&mut self, x: Examination) -> ApiResult<ExaminationNode> {
        let mut acqs = Vec::new();
        for a in self.children(x.id.to_bytes())? {
            if let Some(a) = self.catalog.acquisition(AcquisitionId::from_bytes(a))? {
                acqs.push(self.acquisition(a)?);
            }
        }
        Ok(ExaminationNode {
            id: x.id.to_string(),
            date: x.date,
            age_years: x.age_years,
            center: self.center(x.center),
            equipment: self.equipment(x.equipment)?,
            acquisitions: acqs,
        })
    }

    fn acquisition(&mut self, a: Acquisition) -> ApiResult<AcquisitionNode> {
        let mut datasets = Vec::new();
        for d in self.children(a.id.to_bytes())? {
            if let Some(d) = self.catalog.dataset(DatasetId::from_bytes(d))? {
                datasets.push(dataset_node(&d));
            }
        }
        let cur = &a.cards.current;
        Ok(AcquisitionNode {
            id: a.id.to_string(),
            modality: a.modality,
            series_number: a.series_number,
            series_description: a.series_description,
            nature: cur.nature.map(|n| n.to_string()),
            bids_datatype: cur.effective_bids_datatype().map(|b| b.to_string()),
            grade: a.cards.grade.map(|g| g.to_string()),
            datasets,
        })
    }
}

fn dataset_node(d: &Dataset) -> DatasetNode {
    DatasetNode {
        id: d.id.to_string(),
        content: d.content_id().to_string(),
        instances: d.dicom.instances,
        bytes: d.dicom.bytes,
        has_nifti: d.nifti.is_some(),
    }
}

/// One page of a study's tree.
#[utoipa::path(get, path = "/api/v1/studies/{id}", operation_id = "get_study", tag = "studies",
    params(
        ("id" = String, Path, description = "Study id (`st_…`) or name"),
        ("offset" = Option<u64>, Query, description = "Subjects skipped"),
        ("limit" = Option<u64>, Query, description = "Subjects per page, default 50, at most 500"),
    ),
    responses(
        (status = 200, body = StudyTree),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    ))]
pub(crate) async fn tree(
    State(st): State<AppState>,
    auth: Auth,
    path: PathParams,
    q: QueryParams,
) -> ApiResult<Json<StudyTree>> {
    let key = StudyKey::parse(path.get(0)?)?;
    q.allow(&["offset", "limit"])?;
    let offset = q.number("offset", 0, u64::from(u32::MAX))?;
    let limit = q
        .number("limit", DEFAULT_SUBJECTS_PER_PAGE, MAX_SUBJECTS_PER_PAGE)?
        .max(1);
    blocking(move || {
        let catalog = &st.node.catalog;
        let study = key.resolve(catalog)?;
        let id = study.id;
        let t = now();
        let p = auth.principal();
        let view = view_of(st.access(), &p, Right::See, &study, t)?;
        let page_ids = catalog.children(id.to_bytes(), offset as usize, limit as usize)?;
        let full_page = page_ids.len() as u64 == limit;
        let mut reader = TreeReader::new(catalog)?;
        let mut subjects = Vec::with_capacity(page_ids.len());
        for s in page_ids {
            if let Some(s) = catalog.subject(SubjectId::from_bytes(s))? {
                if let Some(node) = reader.subject(s, &view)? {
                    subjects.push(node);
                }
            }
        }
        let summary = summarize(catalog, &study, vec![Right::See.to_string()], Some(&view))?;
        catalog.audit().append_lazy(
            NewEvent::new(auth.who(), AuditAction::View, t)
                .study(id)
                .detail(format!(
                    "study tree offset={offset} limit={limit} subjects={}",
                    subjects.len()
                )),
        )?;
        Ok(Json(StudyTree {
            subjects_total: summary.subjects,
            study: summary,
            offset,
            limit,
            next_offset: full_page.then_some(offset + limit),
            subjects,
        }))
    })
    .await
}
