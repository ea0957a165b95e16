//! A check of how a white-cell model's calls survive the changes another microscope makes,
//! without labels from another microscope: single-cell images (PBC) are recoloured, blurred
//! and JPEG-recompressed, and the class the model gives the degraded image is compared with
//! the class it gives the original. The class should not change.
//!
//! ```sh
//! cargo run --release --example transfer_check -- models/pbc.json 8 ../shared/data/pbc/*/*.jpg
//! ```
//!
//! Arguments: the model, N (every N-th image is used), then the images. For each image the
//! centred cell is described ([`hemato::features::describe_centred_cell`]) on:
//!
//! - `recolour`: each channel `255·g·(v/255)^p` with gains g = 0.8, 0.88, 0.98 and powers
//!   p = 0.5, 0.9, 1.2 (a grey, bluish white point and paler red cells, as on the BCCD fields);
//! - `blur`: a Gaussian of σ = 1.5 pixels on every channel (a softer focus);
//! - `jpeg`: re-encoded as JPEG at quality 60;
//! - `all`: the three in that order.
//!
//! Prints, per degradation, the share of images whose class is unchanged (images whose cell
//! cannot be described either way are counted apart).

use std::error::Error;
use std::io::Cursor;

use hemato::classify::Model;
use hemato::count::classifier::feature_columns;
use hemato::features::{describe_centred_cell, feature_names};
use image::codecs::jpeg::JpegEncoder;
use image::RgbImage;

fn recolour(image: &RgbImage) -> RgbImage {
    let gains = [0.8, 0.88, 0.98];
    let powers = [0.5, 0.9, 1.2];
    let mut out = image.clone();
    for pixel in out.pixels_mut() {
        for c in 0..3 {
            let t = f64::from(pixel.0[c]) / 255.0;
            pixel.0[c] = (255.0 * gains[c] * t.powf(powers[c])).round() as u8;
        }
    }
    out
}

fn blur(image: &RgbImage) -> RgbImage {
    imageproc::filter::gaussian_blur_f32(image, 1.5)
}

fn jpeg(image: &RgbImage) -> Result<RgbImage, Box<dyn Error>> {
    let mut bytes = Vec::new();
    JpegEncoder::new_with_quality(&mut bytes, 60).encode_image(image)?;
    Ok(image::load(Cursor::new(bytes), image::ImageFormat::Jpeg)?.to_rgb8())
}

fn main() -> Result<(), Box<dyn Error>> {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    if arguments.len() < 3 {
        return Err("usage: transfer_check MODEL.json N IMAGE...".into());
    }
    let model = Model::load(arguments[0].as_ref())?;
    let every: usize = arguments[1].parse()?;
    let columns = feature_columns(&model, &feature_names())?;
    let classify = |image: &RgbImage| -> Option<usize> {
        let cell = describe_centred_cell(image, None).ok()?;
        let row: Vec<f64> = columns.iter().map(|&c| cell.features[c]).collect();
        let rows = ndarray::Array2::from_shape_vec((1, row.len()), row).ok()?;
        model.predict(rows.view()).ok().map(|classes| classes[0])
    };
    let names = ["recolour", "blur", "jpeg", "all"];
    let (mut same, mut compared, mut failed) = ([0usize; 4], [0usize; 4], [0usize; 4]);
    for path in arguments[2..].iter().step_by(every.max(1)) {
        let image = hemato::io::read_rgb_image(path.as_ref())?;
        let Some(original) = classify(&image) else {
            continue;
        };
        let degraded = [
            recolour(&image),
            blur(&image),
            jpeg(&image)?,
            jpeg(&blur(&recolour(&image)))?,
        ];
        for (k, version) in degraded.iter().enumerate() {
            match classify(version) {
                Some(class) => {
                    compared[k] += 1;
                    same[k] += usize::from(class == original);
                }
                None => failed[k] += 1,
            }
        }
    }
    for k in 0..4 {
        println!(
            "{}: class unchanged for {} of {} images ({:.1} %); {} not described",
            names[k],
            same[k],
            compared[k],
            100.0 * same[k] as f64 / compared[k].max(1) as f64,
            failed[k]
        );
    }
    Ok(())
}
