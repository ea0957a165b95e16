//! RGB to 8-bit grey, as ImageJ's `Image > Type > 8-bit` does by default.

use image::{GrayImage, RgbImage};

/// ImageJ's default weight of each channel (`ColorProcessor`: `rWeight = gWeight = bWeight =
/// 1d/3d`; "Weighted RGB conversions" is off unless the user turns it on).
const CHANNEL_WEIGHT: f64 = 1.0 / 3.0;

/// Converts RGB to 8-bit grey exactly as ImageJ 1.53t's `run("8-bit")` does with default
/// settings: `(int)(r/3 + g/3 + b/3 + 0.5)` in double precision
/// (`ij/process/TypeConverter.java` `convertRGBToByte`), i.e. the unweighted mean rounded half up.
///
/// ```
/// let rgb = image::RgbImage::from_raw(2, 1, vec![255, 0, 0, 10, 20, 31]).unwrap();
/// let gray = hemato::color::rgb_to_gray(&rgb);
/// assert_eq!(gray.as_raw(), &vec![85, 20]); // 255/3 = 85; 61/3 = 20.33 → 20
/// ```
pub fn rgb_to_gray(image: &RgbImage) -> GrayImage {
    let pixels = image
        .as_raw()
        .chunks_exact(3)
        .map(|rgb| gray_of(rgb[0], rgb[1], rgb[2]))
        .collect();
    GrayImage::from_raw(image.width(), image.height(), pixels).expect("same dimensions")
}

/// One pixel of [`rgb_to_gray`].
fn gray_of(red: u8, green: u8, blue: u8) -> u8 {
    let value = f64::from(red) * CHANNEL_WEIGHT
        + f64::from(green) * CHANNEL_WEIGHT
        + f64::from(blue) * CHANNEL_WEIGHT
        + 0.5;
    value as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    // By hand: (r+g+b)/3 has fractional part 0, 1/3 or 2/3, never near 1/2, so adding 0.5 and
    // truncating is (r+g+b+1) div 3, whatever the rounding of the double products.
    #[test]
    fn equals_integer_rounded_mean_for_every_colour() {
        for red in 0..=255u8 {
            for green in 0..=255u8 {
                for blue in 0..=255u8 {
                    let sum = u32::from(red) + u32::from(green) + u32::from(blue);
                    assert_eq!(u32::from(gray_of(red, green, blue)), (sum + 1) / 3);
                }
            }
        }
    }
}
