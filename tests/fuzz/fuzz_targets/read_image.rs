//! Any bytes as an image file: the header-only size, the image reader and the label reader
//! must give a value or a typed error, never a panic or an abort.
#![no_main]
use std::io::Write;

use libfuzzer_sys::fuzz_target;

/// Decoding larger images is correct but slow; the fuzzer should spend its time on headers.
const MAX_PIXELS: u64 = 4_000_000;

fuzz_target!(|data: &[u8]| {
    let mut file = tempfile::NamedTempFile::new().expect("temporary file");
    file.write_all(data).expect("write");
    let path = file.path();
    if let Ok((width, height)) = hemato::io::image_dimensions(path) {
        if width * height > MAX_PIXELS {
            return;
        }
    }
    let _ = hemato::io::read_image(path);
    let _ = hemato::io::read_label_image(path);
});
