//! `dicom::read` on arbitrary bytes: an error value or an object, never a panic, a hang or a big
//! allocation (libFuzzer's -rss_limit_mb and -malloc_limit_mb catch the latter). Whatever reads
//! must also write back.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(inst) = dicom::read(data) {
        let mut out = Vec::new();
        let _ = inst.obj.write_all(&mut out);
    }
});
