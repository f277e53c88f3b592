//! `guard::check` on arbitrary bytes in every encoding: never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use dicom::{check_lengths as check, Encoding};

fuzz_target!(|data: &[u8]| {
    for encoding in [
        Encoding::ImplicitLittle,
        Encoding::ExplicitLittle,
        Encoding::ExplicitBig,
    ] {
        let _ = check(data, encoding);
    }
});
