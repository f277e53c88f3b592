//! `GET /datasets/{id}`: one dataset with its acquisition, examination, subject, study, study-card
//! values and NIfTI information. Needs `see` on the study at the examination's center; audited.

use axum::extract::State;
use axum::Json;
use node::Right;
use node::{AuditAction, NewEvent};
use node::{Catalog, DatasetRow};
use protocol::id::DatasetId;
use serde::Serialize;
use utoipa::ToSchema;

use super::studies::{CenterRef, EquipmentBody, TreeReader};
use super::{PathParams, StudyRef};
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::state::{blocking, now, AppState};

/// The row of a dataset, or 404.
pub(crate) fn row_or_404(catalog: &Catalog, id: DatasetId) -> ApiResult<DatasetRow> {
    catalog
        .dataset_rows_for(&[id])?
        .into_iter()
        .next()
        .ok_or_else(|| ApiError::not_found(format!("no dataset {id}")))
}

/// A subject, as a dataset names it.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct SubjectSummary {
    /// Id (`su_…`).
    pub id: String,
    /// Pseudonym.
    pub pseudonym: String,
    /// Sex, when retained.
    pub sex: Option<String>,
    /// Birth year, when retained.
    pub birth_year: Option<i32>,
    /// Subject type, when set.
    pub subject_type: Option<String>,
}

/// An examination, as a dataset names it.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ExaminationSummary {
    /// Id (`ex_…`).
    pub id: String,
    /// De-identified StudyInstanceUID.
    pub study_uid: String,
    /// Date (shifted).
    pub date: Option<String>,
    /// Age at examination, years.
    pub age_years: Option<f64>,
    /// Center.
    pub center: CenterRef,
    /// Scanner.
    pub equipment: Option<EquipmentBody>,
    /// Comment.
    pub comment: Option<String>,
}

/// The acquisition (series) of a dataset.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct AcquisitionDetail {
    /// Id (`aq_…`).
    pub id: String,
    /// De-identified SeriesInstanceUID.
    pub series_uid: String,
    /// Modality.
    pub modality: String,
    /// SOP class of its instances.
    pub sop_class_uid: String,
    /// SeriesNumber.
    pub series_number: Option<i64>,
    /// SeriesDescription (de-identified).
    pub series_description: Option<String>,
    /// ProtocolName (de-identified).
    pub protocol_name: Option<String>,
    /// Acquisition parameters (TR, TE, TI, flip angle, field strength, geometry...).
    #[schema(value_type = Object)]
    pub protocol: serde_json::Value,
}

/// Study-card values of the acquisition.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct CardValues {
    /// Values in force (nature, contrast, BIDS datatype, series name, tags...).
    #[schema(value_type = Object)]
    pub current: serde_json::Value,
    /// Values as imported.
    #[schema(value_type = Object)]
    pub original: serde_json::Value,
    /// Quality grade in force.
    pub grade: Option<String>,
    /// Every application of a card to this acquisition, oldest first: card name and version,
    /// when, the rules that matched, what they assigned, the grade they gave.
    #[schema(value_type = Vec<Object>)]
    pub history: serde_json::Value,
}

/// Where a dataset comes from.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Provenance {
    /// The de-identification profile it was imported with (the study's).
    pub deidentification_profile: String,
    /// Imported, unix seconds.
    pub imported_at: u64,
}

/// The DICOM expression.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct DicomInfo {
    /// Content id of the manifest.
    pub manifest: String,
    /// Instances.
    pub instances: u32,
    /// Bytes of the instances.
    pub bytes: u64,
}

/// The NIfTI expression.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct NiftiInfo {
    /// Volume shape (x, y, z[, t]).
    pub shape: Vec<u32>,
    /// `.nii.gz` (else `.nii`).
    pub gzip: bool,
    /// Bytes of the image.
    pub bytes: u64,
    /// Bytes of the JSON sidecar.
    pub sidecar_bytes: u64,
}

/// `GET /datasets/{id}`.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct DatasetDetail {
    /// Id (`ds_…`).
    pub id: String,
    /// Content id (blake3 of the DICOM manifest).
    pub content: String,
    /// Created, unix seconds.
    pub created_at: u64,
    /// Last change, unix seconds.
    pub updated_at: u64,
    /// Study.
    pub study: StudyRef,
    /// Subject.
    pub subject: SubjectSummary,
    /// Examination.
    pub examination: ExaminationSummary,
    /// Acquisition.
    pub acquisition: AcquisitionDetail,
    /// Study-card values.
    pub cards: CardValues,
    /// DICOM expression.
    pub dicom: DicomInfo,
    /// NIfTI expression, when converted.
    pub nifti: Option<NiftiInfo>,
    /// Why there is no NIfTI expression, when conversion was refused.
    pub nifti_refusal: Option<String>,
    /// Where it comes from.
    pub provenance: Provenance,
}

fn to_value<T: Serialize>(v: &T) -> serde_json::Value {
    serde_json::to_value(v).unwrap_or(serde_json::Value::Null)
}

/// A dataset with its context.
#[utoipa::path(get, path = "/api/v1/datasets/{id}", operation_id = "get_dataset", tag = "datasets",
    params(("id" = String, Path, description = "Dataset id (`ds_…`)")),
    responses(
        (status = 200, body = DatasetDetail),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    ))]
pub(crate) async fn detail(
    State(st): State<AppState>,
    auth: Auth,
    path: PathParams,
) -> ApiResult<Json<DatasetDetail>> {
    let id: DatasetId = path.id(0)?;
    blocking(move || {
        let catalog = &st.node.catalog;
        let row = row_or_404(catalog, id)?;
        let t = now();
        st.access()
            .check(
                &auth.principal(),
                Right::See,
                row.study.id,
                Some(row.examination.center),
                t,
            )
            .map_err(super::about_study(&row.study))?;
        let mut reader = TreeReader::new(catalog)?;
        let DatasetRow {
            dataset: d,
            acquisition: a,
            examination: x,
            subject: s,
            study,
        } = row;
        let body = DatasetDetail {
            id: d.id.to_string(),
            content: d.content_id().to_string(),
            created_at: d.created_at,
            updated_at: d.updated_at,
            study: StudyRef::from(&study),
            subject: SubjectSummary {
                id: s.id.to_string(),
                pseudonym: s.pseudonym,
                sex: s.sex,
                birth_year: s.birth_year,
                subject_type: s.subject_type,
            },
            examination: ExaminationSummary {
                id: x.id.to_string(),
                study_uid: x.study_uid,
                date: x.date,
                age_years: x.age_years,
                center: reader.center(x.center),
                equipment: reader.equipment(x.equipment)?,
                comment: x.comment,
            },
            cards: CardValues {
                current: to_value(&a.cards.current),
                original: to_value(&a.cards.original),
                grade: a.cards.grade.map(|g| g.to_string()),
                history: to_value(&a.cards.history),
            },
            provenance: Provenance {
                deidentification_profile: study.profile.clone(),
                imported_at: d.created_at,
            },
            acquisition: AcquisitionDetail {
                id: a.id.to_string(),
                series_uid: a.series_uid,
                modality: a.modality,
                sop_class_uid: a.sop_class_uid,
                series_number: a.series_number,
                series_description: a.series_description,
                protocol_name: a.protocol_name,
                protocol: to_value(&a.protocol),
            },
            dicom: DicomInfo {
                manifest: d.dicom.manifest.to_string(),
                instances: d.dicom.instances,
                bytes: d.dicom.bytes,
            },
            nifti: d.nifti.as_ref().map(|n| NiftiInfo {
                shape: n.shape.clone(),
                gzip: n.gzip,
                bytes: n.bytes,
                sidecar_bytes: n.sidecar_bytes,
            }),
            nifti_refusal: d.nifti_refusal.clone(),
        };
        catalog.audit().append_lazy(
            NewEvent::new(auth.who(), AuditAction::View, t)
                .study(study.id)
                .dataset(d.id)
                .detail("dataset metadata"),
        )?;
        Ok(Json(body))
    })
    .await
}
