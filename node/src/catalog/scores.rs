//! Instruments and assessments in the catalog: definitions by acronym, assessments by id with a
//! natural key (study, subject, examination, instrument) so that recording the same table twice
//! changes nothing, and every recording in one transaction with its audit record.

use std::collections::BTreeMap;

use protocol::id::{AssessmentId, DatasetId, ExaminationId, StudyId, SubjectId};
use redb::{ReadableDatabase, ReadableTable, TableDefinition};
use serde::Serialize;

use super::tables::*;
use super::{Catalog, CatalogError, Examination, Result, Subject};
use crate::audit::{Audit, AuditAction, NewEvent};
use crate::clock::now;
use crate::scores::{Assessment, Instrument, ScoreValue};

/// Instrument definitions by lower-cased acronym.
pub(super) const INSTRUMENTS: TableDefinition<&str, &[u8]> = TableDefinition::new("instruments");
/// Assessments by id.
pub(super) const ASSESSMENTS: TableDefinition<Id, &[u8]> = TableDefinition::new("assessments");

fn assessment_key(
    study: StudyId,
    subject: SubjectId,
    exam: Option<ExaminationId>,
    instrument: &str,
) -> String {
    format!(
        "assessment:{}:{}:{}:{}",
        hex::encode(study.to_bytes()),
        hex::encode(subject.to_bytes()),
        exam.map_or_else(|| "-".to_string(), |e| hex::encode(e.to_bytes())),
        instrument.to_ascii_lowercase()
    )
}

/// One instrument's values for a subject (at an examination), to record.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAssessment {
    /// The subject.
    pub subject: SubjectId,
    /// The examination, or `None` for the subject level.
    pub examination: Option<ExaminationId>,
    /// The values by variable name (checked against the instrument when recorded).
    pub values: BTreeMap<String, ScoreValue>,
}

/// What recording assessments did (or, in a dry run, would do).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ScoresReport {
    /// Assessments that did not exist.
    pub added: usize,
    /// Assessments whose values changed.
    pub changed: usize,
    /// Assessments already recorded with the same values.
    pub unchanged: usize,
    /// Whether nothing was written (a dry run).
    pub dry_run: bool,
}

impl Catalog {
    /// Record an instrument definition (a new one, or a new version of one). A new version is
    /// refused when a value already recorded with the instrument would not pass it.
    pub fn set_instrument(&self, instrument: &Instrument, who: &str) -> Result<bool> {
        instrument
            .validate()
            .map_err(|e| CatalogError::Invalid(e.to_string()))?;
        let key = instrument.acronym.to_ascii_lowercase();
        let txn = self.db.begin_write()?;
        let changed = {
            let mut table = txn.open_table(INSTRUMENTS)?;
            let old: Option<Instrument> = match table.get(key.as_str())? {
                Some(v) => Some(dec("instrument", key.as_bytes(), v.value())?),
                None => None,
            };
            if old.as_ref() == Some(instrument) {
                false
            } else {
                if old.is_some() {
                    let assessments: Vec<Assessment> =
                        all(&txn.open_table(ASSESSMENTS)?, "assessment")?;
                    for a in assessments
                        .iter()
                        .filter(|a| a.instrument.eq_ignore_ascii_case(&key))
                    {
                        for (name, value) in &a.values {
                            instrument.check(name, value).map_err(|e| {
                                CatalogError::Invalid(format!(
                                    "the new definition refuses a recorded value ({e}): change or remove that assessment first"
                                ))
                            })?;
                        }
                    }
                }
                table.insert(key.as_str(), enc(instrument).as_slice())?;
                Audit::append_in(
                    &txn,
                    NewEvent::new(who, AuditAction::InstrumentSet, now())
                        .detail(format!("instrument {}", instrument.acronym)),
                )?;
                true
            }
        };
        txn.commit()?;
        Ok(changed)
    }

    /// An instrument by acronym (case-insensitive).
    pub fn instrument(&self, acronym: &str) -> Result<Option<Instrument>> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(INSTRUMENTS)?;
        let key = acronym.trim().to_ascii_lowercase();
        match table.get(key.as_str())? {
            Some(v) => Ok(Some(dec("instrument", key.as_bytes(), v.value())?)),
            None => Ok(None),
        }
    }

    /// Every instrument, by acronym.
    pub fn instruments(&self) -> Result<Vec<Instrument>> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(INSTRUMENTS)?;
        let mut out = Vec::new();
        for row in table.iter()? {
            let (k, v) = row?;
            out.push(dec("instrument", k.value().as_bytes(), v.value())?);
        }
        Ok(out)
    }

    /// An instrument that must exist; the error names those that do.
    pub fn require_instrument(&self, acronym: &str) -> Result<Instrument> {
        if let Some(i) = self.instrument(acronym)? {
            return Ok(i);
        }
        let known: Vec<String> = self.instruments()?.into_iter().map(|i| i.acronym).collect();
        Err(CatalogError::NotFound(format!(
            "instrument {acronym:?} (defined: {}; `neurofed scores instrument add FILE.toml` defines one)",
            if known.is_empty() {
                "none".to_string()
            } else {
                known.join(", ")
            }
        )))
    }

    /// Record assessments of one instrument in one study, all or none, with one audit record.
    /// Each is checked against the instrument, and its subject and examination against the
    /// study. With `dry_run` nothing is written and the report says what would change.
    pub fn record_assessments(
        &self,
        study: StudyId,
        instrument: &Instrument,
        items: &[NewAssessment],
        who: &str,
        dry_run: bool,
    ) -> Result<ScoresReport> {
        let txn = self.db.begin_write()?;
        let mut report = ScoresReport {
            dry_run,
            ..ScoresReport::default()
        };
        {
            let subjects = txn.open_table(SUBJECTS)?;
            let exams = txn.open_table(EXAMS)?;
            let mut keys = txn.open_table(KEYS)?;
            let mut table = txn.open_table(ASSESSMENTS)?;
            let at = now();
            for item in items {
                for (name, value) in &item.values {
                    instrument
                        .check(name, value)
                        .map_err(|e| CatalogError::Invalid(e.to_string()))?;
                }
                let subject: Subject = get(&subjects, "subject", item.subject.to_bytes())?
                    .filter(|s: &Subject| s.study == study)
                    .ok_or_else(|| {
                        CatalogError::NotFound(format!("subject {} in this study", item.subject))
                    })?;
                if let Some(e) = item.examination {
                    let exam: Option<Examination> = get(&exams, "examination", e.to_bytes())?;
                    if exam.is_none_or(|x| x.subject != subject.id) {
                        return Err(CatalogError::NotFound(format!(
                            "examination {e} of subject {}",
                            subject.pseudonym
                        )));
                    }
                }
                let k = assessment_key(study, item.subject, item.examination, &instrument.acronym);
                let existing = key_get(&keys, &k)?;
                let old: Option<Assessment> = match existing {
                    Some(id) => get(&table, "assessment", id)?,
                    None => None,
                };
                match old {
                    Some(a) if a.values == item.values => report.unchanged += 1,
                    Some(mut a) => {
                        report.changed += 1;
                        a.values = item.values.clone();
                        a.recorded_by = who.to_string();
                        a.recorded_at = at;
                        table.insert(a.id.to_bytes(), enc(&a).as_slice())?;
                    }
                    None => {
                        report.added += 1;
                        let a = Assessment {
                            id: AssessmentId::new(),
                            study,
                            subject: item.subject,
                            examination: item.examination,
                            instrument: instrument.acronym.clone(),
                            values: item.values.clone(),
                            recorded_by: who.to_string(),
                            recorded_at: at,
                        };
                        table.insert(a.id.to_bytes(), enc(&a).as_slice())?;
                        keys.insert(k.as_str(), a.id.to_bytes())?;
                    }
                }
            }
        }
        if dry_run {
            txn.abort()?;
            return Ok(report);
        }
        if report.added + report.changed > 0 {
            Audit::append_in(
                &txn,
                NewEvent::new(who, AuditAction::ScoresRecord, now())
                    .study(study)
                    .detail(format!(
                        "{}: {} added, {} changed",
                        instrument.acronym, report.added, report.changed
                    )),
            )?;
        }
        txn.commit()?;
        Ok(report)
    }

    /// The datasets of these subjects (what re-indexing after a recording touches).
    pub fn datasets_of_subjects(&self, subjects: &[SubjectId]) -> Result<Vec<DatasetId>> {
        let txn = self.db.begin_read()?;
        let children = txn.open_multimap_table(CHILDREN)?;
        let below = |id: [u8; 16]| -> Result<Vec<[u8; 16]>> {
            let mut out = Vec::new();
            for c in children.get(id)? {
                out.push(c?.value());
            }
            Ok(out)
        };
        let mut out = Vec::new();
        for s in subjects {
            for exam in below(s.to_bytes())? {
                for acq in below(exam)? {
                    out.extend(below(acq)?.into_iter().map(DatasetId::from_bytes));
                }
            }
        }
        out.sort();
        out.dedup();
        Ok(out)
    }

    /// The subjects with an assessment of this instrument (what a new definition re-indexes).
    pub fn subjects_scored_with(&self, instrument: &str) -> Result<Vec<SubjectId>> {
        let mut out: Vec<SubjectId> = self
            .all_assessments()?
            .into_iter()
            .filter(|a| a.instrument.eq_ignore_ascii_case(instrument))
            .map(|a| a.subject)
            .collect();
        out.sort();
        out.dedup();
        Ok(out)
    }

    /// Every assessment of the catalog (what the index reads), in id order.
    pub fn all_assessments(&self) -> Result<Vec<Assessment>> {
        let txn = self.db.begin_read()?;
        all(&txn.open_table(ASSESSMENTS)?, "assessment")
    }

    /// The assessments of a study (of one instrument when given), in id order.
    pub fn assessments(&self, study: StudyId, instrument: Option<&str>) -> Result<Vec<Assessment>> {
        let txn = self.db.begin_read()?;
        let all: Vec<Assessment> = all(&txn.open_table(ASSESSMENTS)?, "assessment")?;
        Ok(all
            .into_iter()
            .filter(|a| a.study == study)
            .filter(|a| instrument.is_none_or(|i| a.instrument.eq_ignore_ascii_case(i)))
            .collect())
    }
}

/// Why rows of a table do not make assessments: every bad row, with its line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", .problems.join("; "))]
pub struct RowsError {
    /// `line N: reason`, at most 20 of them.
    pub problems: Vec<String>,
}

const SUBJECT_COLUMNS: &[&str] = &["subject", "pseudonym", "participant_id", "sub"];
const EXAM_COLUMNS: &[&str] = &["examination", "session", "session_id", "ses", "exam_date"];

impl Catalog {
    /// The subject of a study with this pseudonym (`sub-` prefix allowed).
    pub fn subject_by_pseudonym(&self, study: StudyId, pseudonym: &str) -> Result<Option<Subject>> {
        let p = pseudonym.trim();
        let p = p.strip_prefix("sub-").unwrap_or(p);
        let txn = self.db.begin_read()?;
        let k = format!("subject:{}:{p}", hex::encode(study.to_bytes()));
        match key_get(&txn.open_table(KEYS)?, &k)? {
            Some(id) => get(&txn.open_table(SUBJECTS)?, "subject", id),
            None => Ok(None),
        }
    }

    /// The examinations of a subject.
    pub fn examinations_of(&self, subject: SubjectId) -> Result<Vec<Examination>> {
        let txn = self.db.begin_read()?;
        let children = txn.open_multimap_table(CHILDREN)?;
        let exams = txn.open_table(EXAMS)?;
        let mut out = Vec::new();
        for id in children.get(subject.to_bytes())? {
            if let Some(e) = get::<Examination>(&exams, "examination", id?.value())? {
                out.push(e);
            }
        }
        Ok(out)
    }

    /// Turn the rows of a table into assessments of `instrument` in `study`: a subject column
    /// (`subject`, `pseudonym` or BIDS `participant_id`, `sub-` prefix allowed), an optional
    /// examination column (`examination`, `session`...: an `ex_` id, the examination's shifted
    /// date as `YYYY-MM-DD`, `YYYYMMDD` or `ses-YYYYMMDD`, or empty for the subject level), and one
    /// column per variable; an empty cell records nothing for that variable. Every problem is
    /// reported with its line, and none of the rows is taken when one is bad.
    pub fn rows_to_assessments(
        &self,
        study: StudyId,
        instrument: &Instrument,
        table: &crate::scores::Table,
    ) -> Result<std::result::Result<Vec<NewAssessment>, RowsError>> {
        let find = |names: &[&str]| {
            table
                .header
                .iter()
                .position(|h| names.iter().any(|n| h.eq_ignore_ascii_case(n)))
        };
        let Some(subject_col) = find(SUBJECT_COLUMNS) else {
            return Ok(Err(RowsError {
                problems: vec![format!(
                    "no subject column (name one of: {})",
                    SUBJECT_COLUMNS.join(", ")
                )],
            }));
        };
        // `session` and `examination` may both be there (as the export writes them): they must agree.
        let exam_cols: Vec<usize> = table
            .header
            .iter()
            .enumerate()
            .filter(|(_, h)| EXAM_COLUMNS.iter().any(|n| h.eq_ignore_ascii_case(n)))
            .map(|(i, _)| i)
            .collect();
        let mut problems = Vec::new();
        let mut vars = Vec::new();
        for (i, h) in table.header.iter().enumerate() {
            if i == subject_col || exam_cols.contains(&i) {
                continue;
            }
            match instrument.variable(h) {
                Some(v) => vars.push((i, v.name.clone())),
                None => problems.push(format!(
                    "column {h:?} is no variable of {} (its variables: {})",
                    instrument.acronym,
                    instrument
                        .variables
                        .iter()
                        .map(|v| v.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            }
        }
        if !problems.is_empty() {
            return Ok(Err(RowsError { problems }));
        }
        let mut out = Vec::with_capacity(table.rows.len());
        for (line, cells) in &table.rows {
            let mut bad = |m: String| {
                if problems.len() < 20 {
                    problems.push(format!("line {line}: {m}"));
                }
            };
            let Some(subject) = self.subject_by_pseudonym(study, &cells[subject_col])? else {
                bad(format!("no subject {:?} in this study", cells[subject_col]));
                continue;
            };
            let mut named = Vec::new();
            let mut unknown = false;
            for text in exam_cols
                .iter()
                .map(|c| cells[*c].trim())
                .filter(|s| !s.is_empty())
            {
                match self.exam_of(&subject, text)? {
                    Ok(e) => named.push(e),
                    Err(m) => {
                        unknown = true;
                        bad(m);
                    }
                }
            }
            if unknown {
                continue;
            }
            named.dedup();
            let examination = match named.as_slice() {
                [] => None,
                [e] => Some(*e),
                _ => {
                    bad("its session and examination name different examinations".to_string());
                    continue;
                }
            };
            let mut values = BTreeMap::new();
            let mut refused = false;
            for (i, name) in &vars {
                if cells[*i].trim().is_empty() {
                    continue;
                }
                match instrument.parse_value(name, &cells[*i]) {
                    Ok((n, v)) => {
                        values.insert(n, v);
                    }
                    Err(e) => {
                        refused = true;
                        bad(e.to_string());
                    }
                }
            }
            if refused {
                continue;
            }
            if values.is_empty() {
                bad("no value in this row".to_string());
                continue;
            }
            out.push(NewAssessment {
                subject: subject.id,
                examination,
                values,
            });
        }
        if problems.is_empty() {
            Ok(Ok(out))
        } else {
            Ok(Err(RowsError { problems }))
        }
    }

    /// The examination of `subject` that `text` names (id or shifted date).
    fn exam_of(
        &self,
        subject: &Subject,
        text: &str,
    ) -> Result<std::result::Result<ExaminationId, String>> {
        let exams = self.examinations_of(subject.id)?;
        if let Ok(id) = text.parse::<ExaminationId>() {
            return Ok(exams
                .iter()
                .find(|e| e.id == id)
                .map(|e| e.id)
                .ok_or_else(|| format!("no examination {id} of subject {}", subject.pseudonym)));
        }
        let digits: String = text
            .strip_prefix("ses-")
            .unwrap_or(text)
            .chars()
            .filter(|c| c.is_ascii_digit())
            .collect();
        let same: Vec<&Examination> = exams
            .iter()
            .filter(|e| {
                e.date
                    .as_deref()
                    .is_some_and(|d| d.replace('-', "") == digits && digits.len() == 8)
            })
            .collect();
        match same.as_slice() {
            [e] => Ok(Ok(e.id)),
            [] => Ok(Err(format!(
                "subject {} has no examination {text:?} (its sessions: {})",
                subject.pseudonym,
                exams
                    .iter()
                    .map(|e| e.date.clone().unwrap_or_else(|| e.id.to_string()))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
            _ => Ok(Err(format!(
                "subject {} has several examinations on {text}: name it by id",
                subject.pseudonym
            ))),
        }
    }

    /// A study's assessments of one instrument as a table: `participant_id`, `session`
    /// (`ses-YYYYMMDD`, the export's session label, empty at the subject level), `examination`
    /// (id), then one column per variable of the instrument.
    pub fn assessments_table(
        &self,
        study: StudyId,
        instrument: &Instrument,
    ) -> Result<(Vec<String>, Vec<Vec<String>>)> {
        let mut header = vec![
            "participant_id".to_string(),
            "session".to_string(),
            "examination".to_string(),
        ];
        header.extend(instrument.variables.iter().map(|v| v.name.clone()));
        let mut rows = Vec::new();
        for a in self.assessments(study, Some(&instrument.acronym))? {
            let Some(subject) = self.subject(a.subject)? else {
                continue;
            };
            let exam = match a.examination {
                Some(e) => self.examination(e)?,
                None => None,
            };
            let mut row = vec![
                format!("sub-{}", subject.pseudonym),
                exam.as_ref()
                    .and_then(|e| e.date.as_ref())
                    .map(|d| format!("ses-{}", d.replace('-', "")))
                    .unwrap_or_default(),
                exam.map(|e| e.id.to_string()).unwrap_or_default(),
            ];
            for v in &instrument.variables {
                row.push(
                    a.values
                        .get(&v.name)
                        .map(|x| x.to_string())
                        .unwrap_or_default(),
                );
            }
            rows.push(row);
        }
        rows.sort();
        Ok(rows).map(|rows| (header, rows))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{ManifestEntry, SeriesCommit};
    use crate::scores::parse_table;
    use protocol::ContentId;

    const EDSS: &str = r#"
name = "Expanded Disability Status Scale"
acronym = "EDSS"
[[variables]]
name = "EDSS"
type = "number"
min = 0
max = 10
step = 0.5
[[variables]]
name = "course"
type = "choice"
values = ["RR", "SP", "PP"]
"#;

    fn exam(study: StudyId, subject: &str, date: &str) -> SeriesCommit {
        let uid = format!("{subject}{date}");
        SeriesCommit {
            study,
            pseudonym: subject.into(),
            sex: None,
            birth_year: None,
            study_uid: format!("1.2.{uid}"),
            exam_date: Some(date.into()),
            age_years: None,
            equipment: None,
            series_uid: format!("1.3.{uid}"),
            modality: "MR".into(),
            sop_class_uid: "1.2.840.10008.5.1.4.1.1.4".into(),
            series_number: None,
            series_description: None,
            protocol_name: None,
            protocol: Default::default(),
            manifest: ContentId::of(uid.as_bytes()),
            manifest_size: 10,
            manifest_base: None,
            total_instances: 1,
            total_bytes: 100,
            instances: vec![ManifestEntry {
                sop_instance_uid: format!("1.4.{uid}"),
                content: ContentId::of(format!("i{uid}").as_bytes()),
                size: 100,
                instance_number: None,
            }],
            nifti: None,
            nifti_refusal: None,
            cards: None,
        }
    }

    fn setup() -> (tempfile::TempDir, Catalog, StudyId, Instrument) {
        let dir = tempfile::tempdir().unwrap();
        let c = Catalog::open(&dir.path().join("catalog.redb")).unwrap();
        c.init_center("Rennes").unwrap();
        let (s, _) = c.ensure_study("MS cohort", None).unwrap();
        c.commit_series(&exam(s.id, "PSEUDO1", "2031-03-04"))
            .unwrap();
        c.commit_series(&exam(s.id, "PSEUDO1", "2032-03-09"))
            .unwrap();
        c.commit_series(&exam(s.id, "PSEUDO2", "2031-05-01"))
            .unwrap();
        let i = Instrument::from_toml(EDSS).unwrap();
        assert!(c.set_instrument(&i, "cli").unwrap());
        assert!(
            !c.set_instrument(&i, "cli").unwrap(),
            "same definition: no change"
        );
        (dir, c, s.id, i)
    }

    #[test]
    fn a_table_records_scores_once_and_a_second_time_changes_nothing() {
        let (_d, c, study, edss) = setup();
        let t = parse_table(
            "participant_id;session;EDSS;course\n\
             sub-PSEUDO1;ses-20310304;3,5;RR\n\
             PSEUDO1;2032-03-09;4.5;SP\n\
             sub-PSEUDO2;;2;\n",
        )
        .unwrap();
        let rows = c.rows_to_assessments(study, &edss, &t).unwrap().unwrap();
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[2].examination, None);
        let dry = c
            .record_assessments(study, &edss, &rows, "cli", true)
            .unwrap();
        assert_eq!((dry.added, dry.dry_run), (3, true));
        assert!(
            c.assessments(study, None).unwrap().is_empty(),
            "dry run wrote"
        );
        let r = c
            .record_assessments(study, &edss, &rows, "cli", false)
            .unwrap();
        assert_eq!((r.added, r.changed, r.unchanged), (3, 0, 0));
        let again = c
            .record_assessments(study, &edss, &rows, "cli", false)
            .unwrap();
        assert_eq!((again.added, again.changed, again.unchanged), (0, 0, 3));

        let (header, table) = c.assessments_table(study, &edss).unwrap();
        assert_eq!(
            header,
            ["participant_id", "session", "examination", "EDSS", "course"]
        );
        let cells: Vec<Vec<&str>> = table
            .iter()
            .map(|r| vec![r[0].as_str(), r[1].as_str(), r[3].as_str(), r[4].as_str()])
            .collect();
        assert_eq!(
            cells,
            vec![
                vec!["sub-PSEUDO1", "ses-20310304", "3.5", "RR"],
                vec!["sub-PSEUDO1", "ses-20320309", "4.5", "SP"],
                vec!["sub-PSEUDO2", "", "2", ""],
            ]
        );
        // One change of value: one changed, the rest unchanged; audited.
        let t2 = parse_table("subject,examination,EDSS\nPSEUDO2,,2.5\n").unwrap();
        let rows2 = c.rows_to_assessments(study, &edss, &t2).unwrap().unwrap();
        let r2 = c
            .record_assessments(study, &edss, &rows2, "ana", false)
            .unwrap();
        assert_eq!((r2.added, r2.changed), (0, 1));
        let audit = c.audit().list(&Default::default()).unwrap();
        assert!(audit.iter().any(
            |e| e.action == AuditAction::ScoresRecord && e.detail == "EDSS: 0 added, 1 changed"
        ));
    }

    #[test]
    fn bad_rows_are_all_reported_with_their_lines_and_nothing_is_taken() {
        let (_d, c, study, edss) = setup();
        let t = parse_table(
            "subject,session,EDSS\n\
             PSEUDO1,2031-03-04,11\n\
             NOBODY,,2\n\
             PSEUDO2,2030-01-01,2\n\
             PSEUDO1,2031-03-04,\n",
        )
        .unwrap();
        let e = c
            .rows_to_assessments(study, &edss, &t)
            .unwrap()
            .unwrap_err();
        let text = e.to_string();
        assert_eq!(e.problems.len(), 4, "{text}");
        assert!(
            text.contains("line 2: EDSS EDSS: 11 is out of range (0 to 10 by 0.5)"),
            "{text}"
        );
        assert!(text.contains("line 3: no subject \"NOBODY\""), "{text}");
        assert!(text.contains("line 4: subject PSEUDO2 has no examination \"2030-01-01\" (its sessions: 2031-05-01)"), "{text}");
        assert!(text.contains("line 5: no value"), "{text}");
        let t = parse_table("subject,MMSE\nPSEUDO1,20\n").unwrap();
        let e = c
            .rows_to_assessments(study, &edss, &t)
            .unwrap()
            .unwrap_err();
        assert!(
            e.to_string()
                .contains("column \"MMSE\" is no variable of EDSS"),
            "{e}"
        );
        let t = parse_table("who,EDSS\nPSEUDO1,2\n").unwrap();
        let e = c
            .rows_to_assessments(study, &edss, &t)
            .unwrap()
            .unwrap_err();
        assert!(e.to_string().contains("no subject column"), "{e}");
        // A value recorded directly is checked too.
        let bad = NewAssessment {
            subject: c
                .subject_by_pseudonym(study, "PSEUDO1")
                .unwrap()
                .unwrap()
                .id,
            examination: None,
            values: [("EDSS".to_string(), ScoreValue::Number(10.5))].into(),
        };
        assert!(c
            .record_assessments(study, &edss, &[bad], "cli", false)
            .is_err());
        assert!(c.assessments(study, None).unwrap().is_empty());
    }

    #[test]
    fn a_narrower_definition_is_refused_while_a_recorded_value_would_fail_it() {
        let (_d, c, study, edss) = setup();
        let t = parse_table("subject,EDSS\nPSEUDO1,8\n").unwrap();
        let rows = c.rows_to_assessments(study, &edss, &t).unwrap().unwrap();
        c.record_assessments(study, &edss, &rows, "cli", false)
            .unwrap();
        let narrow = Instrument::from_toml(&EDSS.replace("max = 10", "max = 6")).unwrap();
        let e = c.set_instrument(&narrow, "cli").unwrap_err();
        assert!(e.to_string().contains("refuses a recorded value"), "{e}");
        let wider = Instrument::from_toml(&EDSS.replace("max = 10", "max = 12")).unwrap();
        assert!(c.set_instrument(&wider, "cli").unwrap());
        assert_eq!(c.require_instrument("edss").unwrap(), wider);
        let e = c.require_instrument("MMSE").unwrap_err();
        assert!(e.to_string().contains("defined: EDSS"), "{e}");
        // Integer bounds are stored as integers and read back.
        let mmse = Instrument::from_toml(
            "name = \"M\"\nacronym = \"MMSE\"\n[[variables]]\nname = \"total\"\ntype = \"integer\"\nmin = 0\nmax = 30",
        )
        .unwrap();
        assert!(c.set_instrument(&mmse, "cli").unwrap());
        assert_eq!(c.require_instrument("mmse").unwrap(), mmse);
    }
}
