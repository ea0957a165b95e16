//! Image files with bytes overwritten at random positions: reading, segmenting, measuring and
//! counting them gives a result or a typed error, never a panic. (Truncated files and wrong
//! pixel types have their own tests; this covers damage inside a file, where a decoder meets
//! header fields, chunk lengths and compressed data that do not fit together.)
//!
//! The damage is deterministic (a fixed-seed generator), so a failure names a reproducible
//! mutant.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use hemato::count::{count_image, CountOptions, WhiteCellClassifier};
use hemato::measure::{measure_particles, Calibration, Channel};
use hemato::segment::{segment, PipelineConfig};
use hemato::slide::tiles::Rect;
use hemato::slide::SlideReader;

/// SplitMix64: enough to place the damage, with no dependency.
struct Damage(u64);

impl Damage {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, bound: usize) -> usize {
        (self.next() % bound as u64) as usize
    }

    /// `bytes` with 1 to 16 bytes overwritten, most often in the first 2,000 (headers, chunk
    /// tables, the start of the compressed data).
    fn mutant(&mut self, bytes: &[u8]) -> Vec<u8> {
        let mut mutant = bytes.to_vec();
        let changes = 1 + self.below(16);
        for _ in 0..changes {
            let range = if self.below(3) < 2 {
                bytes.len().min(2000)
            } else {
                bytes.len()
            };
            let position = self.below(range);
            mutant[position] = self.next() as u8;
        }
        mutant
    }
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Everything a user can run on an image file, each failure allowed, no panic allowed.
fn run_everything(path: &Path, classifier: &WhiteCellClassifier) {
    if let Ok(image) = hemato::io::read_image(path) {
        if let Ok(segmented) = segment(&image, &PipelineConfig::default()) {
            let _ = measure_particles(
                &image,
                &segmented.particles,
                &[Channel::Image],
                None,
                &Calibration::default(),
            );
        }
    }
    if let Ok(rgb) = hemato::io::read_rgb_image(path) {
        let _ = count_image(&rgb, &CountOptions::default(), classifier);
    }
    if let Ok(mut reader) = SlideReader::open(path) {
        let (width, height) = reader.dimensions();
        let _ = reader.read(Rect::new(0, 0, width.min(300), height.min(300)));
    }
}

#[test]
fn damaged_images_give_results_or_errors_never_panics() {
    let directory = tempfile::tempdir().unwrap();
    let png = root().join("fixtures/aslan/image-1.png");
    let jpeg = root().join("fixtures/smears/BloodImage_00003.jpg");
    let field = image::open(&png).unwrap();
    let tiff = directory.path().join("field.tif");
    field.save(&tiff).unwrap();
    let bmp = directory.path().join("field.bmp");
    field.save(&bmp).unwrap();
    let classifier = WhiteCellClassifier::builtin();
    let mut damage = Damage(20_261_125);
    let mut readable = 0;
    for (source, extension) in [(&png, "png"), (&jpeg, "jpg"), (&tiff, "tif"), (&bmp, "bmp")] {
        let bytes = std::fs::read(source).unwrap();
        for index in 0..12 {
            let path: PathBuf = directory.path().join(format!("mutant-{index}.{extension}"));
            std::fs::write(&path, damage.mutant(&bytes)).unwrap();
            let outcome = catch_unwind(AssertUnwindSafe(|| run_everything(&path, &classifier)));
            assert!(
                outcome.is_ok(),
                "mutant {index} of {} panicked (kept at {})",
                source.display(),
                directory.keep().join(path.file_name().unwrap()).display()
            );
            readable += usize::from(hemato::io::read_image(&path).is_ok());
        }
    }
    // The damage must leave some files readable (pixels changed, not only headers), or the
    // pipeline behind the decoders would go untested.
    assert!(readable >= 8, "{readable} of 48 mutants readable");
}
