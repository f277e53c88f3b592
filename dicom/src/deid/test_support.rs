//! Builders shared by the de-identification unit tests.

use dicom_core::{DataElement, PrimitiveValue, Tag, VR};
use dicom_dictionary_std::tags;
use dicom_object::mem::InMemElement;

/// A text element.
pub(super) fn el(tag: Tag, vr: VR, v: &str) -> InMemElement {
    DataElement::new(tag, vr, PrimitiveValue::from(v))
}

/// `rest` with the UIDs that make a test MR image an instance (SOP class and instance, study,
/// series) in front.
pub(super) fn with_mr_uids(rest: Vec<InMemElement>) -> Vec<InMemElement> {
    let mut els = vec![
        el(tags::SOP_CLASS_UID, VR::UI, "1.2.840.10008.5.1.4.1.1.4"),
        el(
            tags::SOP_INSTANCE_UID,
            VR::UI,
            "1.2.826.0.1.3680043.8.498.1001",
        ),
        el(
            tags::STUDY_INSTANCE_UID,
            VR::UI,
            "1.2.826.0.1.3680043.8.498.1",
        ),
        el(
            tags::SERIES_INSTANCE_UID,
            VR::UI,
            "1.2.826.0.1.3680043.8.498.11",
        ),
    ];
    els.extend(rest);
    els
}
