//! De-identification of real files: the generated corpus and the reference corpus.
