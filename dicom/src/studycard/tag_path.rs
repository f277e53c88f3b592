//! Tag paths: a DICOM attribute named by keyword or tag, possibly inside sequences, resolved
//! against the standard dictionary when the card is read.

use std::fmt;

use dicom_core::dictionary::{DataDictionary, DataDictionaryEntry};
use dicom_core::{Tag, VR};
use dicom_dictionary_std::StandardDataDictionary;

/// Which item(s) of a sequence a path step goes through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemSelector {
    /// Every item (`[*]`, also the default when no selector is written).
    Any,
    /// The item at this index, counting from 0 (`[0]`).
    Index(u32),
}

/// One sequence step of a tag path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TagStep {
    /// The sequence attribute.
    pub tag: Tag,
    /// Which of its items to enter.
    pub item: ItemSelector,
}

/// A DICOM attribute, possibly inside sequences: `RepetitionTime`, `(0018,0080)`,
/// `SharedFunctionalGroupsSequence/MRTimingAndRelatedParametersSequence[0]/RepetitionTime`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagPath {
    text: String,
    steps: Vec<TagStep>,
    leaf: Tag,
    leaf_vr: Option<VR>,
}

/// What is wrong with a tag path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TagPathError {
    /// Nothing was written.
    #[error("the tag is empty")]
    Empty,
    /// A `/` with nothing on one side.
    #[error("tag path `{path}` has an empty step (two `/` in a row, or one at an end)")]
    EmptyStep {
        /// The whole path.
        path: String,
    },
    /// Not a keyword of the standard dictionary, and not shaped like a tag.
    #[error(
        "`{key}` is not a DICOM keyword (keywords are case-sensitive, e.g. `SeriesDescription`) \
         nor a tag written `(gggg,eeee)`{hint}"
    )]
    UnknownKeyword {
        /// The step as written.
        key: String,
        /// A hint for a likely mistake (may be empty).
        hint: &'static str,
    },
    /// Shaped like a tag but not a valid one.
    #[error(
        "`{key}` is not a valid tag: write `(gggg,eeee)` with 4 hexadecimal digits in each part"
    )]
    BadTag {
        /// The step as written.
        key: String,
    },
    /// A `[...]` that is neither `[*]` nor `[N]`.
    #[error(
        "`{step}`: an item selector is `[*]` (any item) or `[N]` (the item at index N, from 0)"
    )]
    BadSelector {
        /// The step as written.
        step: String,
    },
    /// An item selector on the last step.
    #[error("`{step}` ends the path: item selectors go on a sequence that a `/` follows")]
    SelectorOnLeaf {
        /// The step as written.
        step: String,
    },
    /// A `/` after an attribute that the dictionary says is not a sequence.
    #[error("`{key}` has VR {vr}, not SQ: only a sequence can be followed by `/`")]
    NotASequence {
        /// The step as written.
        key: String,
        /// Its VR.
        vr: String,
    },
}

impl TagPath {
    /// Parses a path of `/`-separated steps. Each step is a keyword or a tag (`(gggg,eeee)`,
    /// `gggg,eeee`, `ggggeeee`); steps before the last must be sequences and may carry `[*]` or
    /// `[N]`.
    pub fn parse(text: &str) -> Result<TagPath, TagPathError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(TagPathError::Empty);
        }
        let parts: Vec<&str> = text.split('/').map(str::trim).collect();
        let last = parts.len() - 1;
        let mut steps = Vec::with_capacity(last);
        let mut leaf = None;
        for (i, part) in parts.iter().enumerate() {
            if part.is_empty() {
                return Err(TagPathError::EmptyStep { path: text.into() });
            }
            let (key, item) = split_selector(part)?;
            let (tag, vr) = resolve_key(key)?;
            if i == last {
                if item.is_some() {
                    return Err(TagPathError::SelectorOnLeaf {
                        step: (*part).into(),
                    });
                }
                leaf = Some((tag, vr));
            } else {
                if let Some(vr) = vr.filter(|vr| *vr != VR::SQ) {
                    return Err(TagPathError::NotASequence {
                        key: key.into(),
                        vr: String::from(vr.to_string()),
                    });
                }
                steps.push(TagStep {
                    tag,
                    item: item.unwrap_or(ItemSelector::Any),
                });
            }
        }
        let Some((leaf, leaf_vr)) = leaf else {
            return Err(TagPathError::Empty);
        };
        Ok(TagPath {
            text: text.into(),
            steps,
            leaf,
            leaf_vr,
        })
    }

    /// The path as written (trimmed).
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The sequence steps before the attribute.
    pub fn steps(&self) -> &[TagStep] {
        &self.steps
    }

    /// The attribute's tag.
    pub fn leaf(&self) -> Tag {
        self.leaf
    }

    /// The attribute's VR per the standard dictionary (`None` for private or unknown tags,
    /// whose VR is read from the data).
    pub fn leaf_vr(&self) -> Option<VR> {
        self.leaf_vr
    }
}

impl fmt::Display for TagPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

fn split_selector(part: &str) -> Result<(&str, Option<ItemSelector>), TagPathError> {
    let Some(open) = part.find('[') else {
        return Ok((part, None));
    };
    let bad = || TagPathError::BadSelector { step: part.into() };
    let inner = part[open + 1..].strip_suffix(']').ok_or_else(bad)?.trim();
    let item = if inner == "*" {
        ItemSelector::Any
    } else {
        ItemSelector::Index(inner.parse().map_err(|_| bad())?)
    };
    Ok((part[..open].trim(), Some(item)))
}

fn resolve_key(key: &str) -> Result<(Tag, Option<VR>), TagPathError> {
    let dict = StandardDataDictionary;
    // Context-dependent VRs (pixel data OB/OW, US/SS) relax to one that has the same kind.
    let vr_of = |tag: Tag| dict.by_tag(tag).map(|e| e.vr().relaxed());
    if let Some(entry) = dict.by_name(key) {
        let tag = entry.tag();
        return Ok((tag, Some(entry.vr().relaxed())));
    }
    let tag_like = key.starts_with('(')
        || key.contains(',')
        || (key.len() == 8 && key.chars().all(|c| c.is_ascii_hexdigit()));
    if tag_like {
        // dicom-core's `Tag::from_str` slices by bytes and panics inside a multi-byte character.
        if !key.is_ascii() {
            return Err(TagPathError::BadTag { key: key.into() });
        }
        let tag: Tag = key
            .parse()
            .map_err(|_| TagPathError::BadTag { key: key.into() })?;
        return Ok((tag, vr_of(tag)));
    }
    let hint = if key.contains('.') {
        "; steps into sequences are separated by `/`"
    } else if key.contains(' ') {
        "; keywords have no spaces"
    } else {
        ""
    };
    Err(TagPathError::UnknownKeyword {
        key: key.into(),
        hint,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_multi_byte_character_in_a_tag_is_an_error_not_a_panic() {
        // Found by the card-file property test: `(00🃵U` made dicom-core slice inside '🃵'.
        assert!(TagPath::parse("(00\u{1F0F5}U").is_err());
        assert!(TagPath::parse("(00é8,0081)").is_err());
    }

    #[test]
    fn tag_paths_resolve_keywords_tags_and_sequences() {
        let p = TagPath::parse("SeriesDescription").unwrap();
        assert_eq!((p.leaf(), p.leaf_vr()), (Tag(0x0008, 0x103E), Some(VR::LO)));
        assert!(p.steps().is_empty());
        for form in ["(0018,0081)", "0018,0081", "00180081", "EchoTime"] {
            let p = TagPath::parse(form).unwrap();
            assert_eq!(
                (p.leaf(), p.leaf_vr()),
                (Tag(0x0018, 0x0081), Some(VR::DS)),
                "{form}"
            );
        }
        let p = TagPath::parse(
            "SharedFunctionalGroupsSequence/MRTimingAndRelatedParametersSequence[0]/RepetitionTime",
        )
        .unwrap();
        assert_eq!(
            p.steps(),
            [
                TagStep {
                    tag: Tag(0x5200, 0x9229),
                    item: ItemSelector::Any
                },
                TagStep {
                    tag: Tag(0x0018, 0x9112),
                    item: ItemSelector::Index(0)
                }
            ]
        );
        assert_eq!(p.leaf(), Tag(0x0018, 0x0080));
        let p = TagPath::parse("PerFrameFunctionalGroupsSequence[*]/(0019,100C)").unwrap();
        assert_eq!(p.steps()[0].item, ItemSelector::Any);
        assert_eq!((p.leaf(), p.leaf_vr()), (Tag(0x0019, 0x100C), None));
        assert_eq!(
            p.to_string(),
            "PerFrameFunctionalGroupsSequence[*]/(0019,100C)"
        );
    }

    #[test]
    fn tag_path_errors_say_what_is_wrong() {
        let e = |s: &str| TagPath::parse(s).unwrap_err().to_string();
        assert_eq!(e(" "), "the tag is empty");
        assert!(e("SeriesDescripton").starts_with("`SeriesDescripton` is not a DICOM keyword"));
        assert!(e("seriesdescription").contains("case-sensitive"));
        assert!(e("A.B").contains("separated by `/`"));
        assert!(
            e("(0018,008)").contains("not a valid tag"),
            "{}",
            e("(0018,008)")
        );
        assert!(e("(0018,00ZZ)").contains("not a valid tag"));
        assert!(e("SeriesDescription/EchoTime").contains("has VR LO, not SQ"));
        assert!(e("ReferencedImageSequence[x]/ReferencedSOPInstanceUID").contains("`[*]`"));
        assert!(e("ReferencedImageSequence[1").contains("item selector"));
        assert!(e("EchoTime[0]").contains("ends the path"));
        assert!(e("ReferencedImageSequence//ReferencedSOPInstanceUID").contains("empty step"));
    }

    proptest::proptest! {
        #[test]
        fn any_text_parses_or_errs(s in "\\PC{0,32}") {
            let _ = TagPath::parse(&s);
        }
    }
}
