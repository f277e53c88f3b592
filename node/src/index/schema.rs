//! The index schema: which tantivy field holds what, and the analyzers that tokenize it.
//!
//! One document per dataset. Ids are raw indexed strings (to filter and to delete by); each
//! facet field is indexed lower-cased (term filters ignore case) and kept as a fast string
//! column with the original spelling (facet counts and sorts read the column); numeric ranges
//! and the examination date are fast columns; clinical scores are raw terms of one field (see
//! `scores.rs`); free text goes to two analyzed fields; the hit shown to callers is stored whole.

use protocol::query::{FacetField, RangeField};
use tantivy::schema::{
    Field, IndexRecordOption, NumericOptions, Schema, TextFieldIndexing, TextOptions, STORED,
    STRING,
};
use tantivy::tokenizer::{
    AsciiFoldingFilter, LowerCaser, RawTokenizer, RemoveLongFilter, SimpleTokenizer, TextAnalyzer,
    TokenizerManager, WhitespaceTokenizer,
};

/// Bumped whenever the schema or the analyzers change: an index of another version is
/// dropped at open and rebuilt from the catalog.
pub(super) const SCHEMA_VERSION: u32 = 2;

/// Words: `t1_mprage_sag_1mm` -> `t1`, `mprage`, `sag`, `1mm`; lower-cased, accents folded.
pub(super) const WORDS: &str = "nf_words";
/// Whole whitespace-separated forms, lower-cased: `t1_mprage_sag_1mm` stays one token.
pub(super) const RAW_WORDS: &str = "nf_raw_words";
/// The whole value, lower-cased (term filters on facet fields).
pub(super) const LOWER: &str = "nf_lower";

/// Tokens longer than this are dropped (they are never typed and bloat the dictionary).
const MAX_TOKEN: usize = 100;

/// The analyzers the schema names; registered on every open (tantivy does not persist them).
pub(super) fn register_tokenizers(manager: &TokenizerManager) {
    manager.register(WORDS, words_analyzer());
    manager.register(RAW_WORDS, raw_words_analyzer());
    manager.register(
        LOWER,
        TextAnalyzer::builder(RawTokenizer::default())
            .filter(LowerCaser)
            .build(),
    );
}

/// The analyzer of free text, also used to split what users type.
pub(super) fn words_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_TOKEN))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build()
}

/// The analyzer of whole forms (`t1_mprage_sag_1mm` stays one token).
pub(super) fn raw_words_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(WhitespaceTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_TOKEN))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build()
}

/// Name of the tantivy field of a facet field (also its fast column).
pub(super) fn facet_name(f: FacetField) -> String {
    format!("f_{}", f.as_str())
}

/// Name of the fast column of a range field.
pub(super) fn range_name(f: RangeField) -> String {
    format!("r_{}", f.as_str())
}

/// The fields, resolved once.
#[derive(Debug, Clone)]
pub struct Fields {
    /// The schema.
    pub schema: Schema,
    /// Dataset id (text form), raw.
    pub dataset_id: Field,
    /// Study id, raw.
    pub study_id: Field,
    /// Acquisition center id, raw.
    pub center_id: Field,
    /// Subject id, raw.
    pub subject_id: Field,
    /// Examination id, raw.
    pub examination_id: Field,
    /// The dataset id's ULID, high and low 64 bits: the tie-breaking sort key.
    pub id_hi: Field,
    /// See `id_hi`.
    pub id_lo: Field,
    /// One field per [`FacetField`], in `FacetField::ALL` order.
    pub facets: Vec<(FacetField, Field)>,
    /// One fast f64 column per [`RangeField`], in `RangeField::ALL` order.
    pub ranges: Vec<(RangeField, Field)>,
    /// Examination date, days since 1970-01-01.
    pub exam_date: Field,
    /// Subject pseudonym (sort by subject).
    pub subject: Field,
    /// Quality grade as a rank (pass 0, warning 1, fail 2) for sorting by severity.
    pub qc_rank: Field,
    /// Clinical score terms (`index/scores.rs`), raw.
    pub scores: Field,
    /// Free text, split into words.
    pub text: Field,
    /// Free text, whole whitespace-separated forms.
    pub text_raw: Field,
    /// Values offered as completions (names and descriptions), original spelling.
    pub suggest: Field,
    /// The hit, serialized (JSON).
    pub hit: Field,
}

impl Fields {
    /// Build the schema.
    pub fn new() -> Fields {
        let mut b = Schema::builder();
        let dataset_id = b.add_text_field("dataset_id", STRING);
        let study_id = b.add_text_field("study_id", STRING);
        let center_id = b.add_text_field("center_id", STRING);
        let subject_id = b.add_text_field("subject_id", STRING);
        let examination_id = b.add_text_field("examination_id", STRING);
        let fast_u64 = NumericOptions::default().set_fast();
        let id_hi = b.add_u64_field("id_hi", fast_u64.clone());
        let id_lo = b.add_u64_field("id_lo", fast_u64.clone());
        let facet_opts = TextOptions::default()
            .set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer(LOWER)
                    .set_fieldnorms(false)
                    .set_index_option(IndexRecordOption::Basic),
            )
            .set_fast("raw");
        let facets = FacetField::ALL
            .iter()
            .map(|&f| (f, b.add_text_field(&facet_name(f), facet_opts.clone())))
            .collect();
        let ranges = RangeField::ALL
            .iter()
            .map(|&f| {
                (
                    f,
                    b.add_f64_field(&range_name(f), NumericOptions::default().set_fast()),
                )
            })
            .collect();
        let exam_date = b.add_i64_field("exam_date", NumericOptions::default().set_fast());
        let subject = b.add_text_field("subject", TextOptions::default().set_fast("raw"));
        let qc_rank = b.add_u64_field("qc_rank", fast_u64);
        let scores = b.add_text_field("scores", STRING);
        let text = b.add_text_field(
            "text",
            TextOptions::default().set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer(WORDS)
                    .set_index_option(IndexRecordOption::WithFreqs),
            ),
        );
        let text_raw = b.add_text_field(
            "text_raw",
            TextOptions::default().set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer(RAW_WORDS)
                    .set_index_option(IndexRecordOption::WithFreqs),
            ),
        );
        let suggest = b.add_text_field("suggest", TextOptions::default().set_fast("raw"));
        let hit = b.add_bytes_field("hit", STORED);
        Fields {
            schema: b.build(),
            dataset_id,
            study_id,
            center_id,
            subject_id,
            examination_id,
            id_hi,
            id_lo,
            facets,
            ranges,
            exam_date,
            subject,
            qc_rank,
            scores,
            text,
            text_raw,
            suggest,
            hit,
        }
    }

    /// The field of a facet.
    pub fn facet(&self, f: FacetField) -> Field {
        // Built from FacetField::ALL, which lists the variants in declaration order.
        self.facets[f as usize].1
    }

    /// The field of a range.
    pub fn range(&self, f: RangeField) -> Field {
        // Built from RangeField::ALL, which lists the variants in declaration order.
        self.ranges[f as usize].1
    }
}

impl Default for Fields {
    fn default() -> Self {
        Fields::new()
    }
}
