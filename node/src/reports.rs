//! The e-mail report of an import into a study: what arrived (subjects by pseudonym, series,
//! natures, QC grades, NIfTI), for the accounts subscribed to the study that may still see it.
//! Composed here from the catalog (pseudonyms only: the catalog holds nothing else); sent by
//! the HTTP crate (`web`), since `node` has no network.

use std::collections::{BTreeSet, HashMap};

use protocol::id::{DatasetId, StudyId};
use serde::Serialize;

use crate::access::{Access, Principal, Right};
use crate::catalog::{Catalog, CatalogError, DatasetRow};
use crate::clock::UnixTime;

/// One series of a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReportSeries {
    /// The subject's pseudonym.
    pub subject: String,
    /// The examination's (shifted) date.
    pub date: Option<String>,
    /// Series number and description.
    pub series: String,
    /// Nature from the study cards.
    pub nature: Option<String>,
    /// QC grade from the quality cards.
    pub grade: Option<String>,
    /// Instances in the series.
    pub instances: u32,
    /// Whether it has a NIfTI expression.
    pub nifti: bool,
}

/// What an import brought into a study.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    /// The study's name.
    pub study: String,
    /// Series created or changed by the import, by subject, date, series number.
    pub series: Vec<ReportSeries>,
}

impl ImportReport {
    /// When each dataset of `study` was last changed: taken before an import, so that
    /// [`ImportReport::changed`] tells what the import brought.
    pub fn snapshot(
        catalog: &Catalog,
        study: StudyId,
    ) -> Result<HashMap<DatasetId, UnixTime>, CatalogError> {
        Ok(catalog
            .datasets_of_study(study)?
            .into_iter()
            .map(|d| (d.id, d.updated_at))
            .collect())
    }

    /// The datasets of `study` that are new or changed since `before` was taken (an import
    /// holds the home's import lock, so these are its own). `None` when there are none.
    pub fn changed(
        catalog: &Catalog,
        study: StudyId,
        before: &HashMap<DatasetId, UnixTime>,
    ) -> Result<Option<ImportReport>, CatalogError> {
        let ids: Vec<DatasetId> = catalog
            .datasets_of_study(study)?
            .into_iter()
            .filter(|d| before.get(&d.id) != Some(&d.updated_at))
            .map(|d| d.id)
            .collect();
        let mut rows: Vec<DatasetRow> = catalog.dataset_rows_for(&ids)?;
        let Some(first) = rows.first() else {
            return Ok(None);
        };
        let name = first.study.name.clone();
        rows.sort_by(|a, b| {
            (
                &a.subject.pseudonym,
                &a.examination.date,
                a.acquisition.series_number,
            )
                .cmp(&(
                    &b.subject.pseudonym,
                    &b.examination.date,
                    b.acquisition.series_number,
                ))
        });
        let series = rows
            .iter()
            .map(|r| {
                let a = &r.acquisition;
                let desc = a
                    .series_description
                    .clone()
                    .or_else(|| a.protocol_name.clone())
                    .unwrap_or_else(|| a.modality.clone());
                ReportSeries {
                    subject: r.subject.pseudonym.clone(),
                    date: r.examination.date.clone(),
                    series: match a.series_number {
                        Some(n) => format!("{n} {desc}"),
                        None => desc,
                    },
                    nature: a.cards.current.nature.map(|n| n.to_string()),
                    grade: a.cards.grade.map(|g| g.to_string()),
                    instances: r.dataset.dicom.instances,
                    nifti: r.dataset.nifti.is_some(),
                }
            })
            .collect();
        Ok(Some(ImportReport {
            study: name,
            series,
        }))
    }

    /// The subject line.
    pub fn subject(&self) -> String {
        format!(
            "[neurofed] {}: {} series imported",
            self.study,
            self.series.len()
        )
    }

    /// The plain-text body.
    pub fn text(&self) -> String {
        let subjects: BTreeSet<&str> = self.series.iter().map(|s| s.subject.as_str()).collect();
        let instances: u64 = self.series.iter().map(|s| u64::from(s.instances)).sum();
        let mut out = format!(
            "New data in study \"{}\": {} subjects, {} series, {} instances.\n\n",
            self.study,
            subjects.len(),
            self.series.len(),
            instances
        );
        out.push_str("subject\tdate\tseries\tnature\tQC\tinstances\tNIfTI\n");
        for s in &self.series {
            out.push_str(&format!(
                "{}\t{}\t{}\t{}\t{}\t{}\t{}\n",
                s.subject,
                s.date.as_deref().unwrap_or("-"),
                s.series,
                s.nature.as_deref().unwrap_or("-"),
                s.grade.as_deref().unwrap_or("-"),
                s.instances,
                if s.nifti { "yes" } else { "no" }
            ));
        }
        out.push_str(
            "\nSubjects are pseudonyms and dates are shifted, as on the node.\n\
             You receive this because you subscribed to the study's import reports.\n",
        );
        out
    }
}

/// The subscribers of `study` who get its report now: enabled accounts with an e-mail address
/// that may still see the study (rights are checked at sending, not at subscribing).
/// `(account name, address)`.
pub fn report_recipients(
    access: Access<'_>,
    catalog: &Catalog,
    study: StudyId,
    now: UnixTime,
) -> Result<Vec<(String, String)>, crate::access::AccessError> {
    let center = Some(catalog.node_center()?.id);
    let mut out = Vec::new();
    for name in catalog.report_subscribers(study)? {
        let Some(user) = access.users().get(&name)? else {
            continue;
        };
        let Some(email) = user.email.clone().filter(|e| !e.trim().is_empty()) else {
            continue;
        };
        if user.disabled {
            continue;
        }
        if access
            .check(&Principal::User(user), Right::See, study, center, now)
            .is_ok()
        {
            out.push((name, email));
        }
    }
    Ok(out)
}
