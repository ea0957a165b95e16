// Scratch: montage of images (not committed). montage OUT.png COLS SCALE files...
use std::path::Path;
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let cols: u32 = args[2].parse().unwrap();
    let scale: f64 = args[3].parse().unwrap();
    let imgs: Vec<image::RgbImage> = args[4..]
        .iter()
        .map(|p| {
            let i = hemato::io::read_rgb_image(Path::new(p)).unwrap();
            image::imageops::resize(
                &i,
                (i.width() as f64 * scale) as u32,
                (i.height() as f64 * scale) as u32,
                image::imageops::FilterType::Triangle,
            )
        })
        .collect();
    let w = imgs.iter().map(|i| i.width()).max().unwrap();
    let h = imgs.iter().map(|i| i.height()).max().unwrap();
    let rows = (imgs.len() as u32 + cols - 1) / cols;
    let mut out = image::RgbImage::new(w * cols, h * rows);
    for (k, i) in imgs.iter().enumerate() {
        image::imageops::replace(
            &mut out,
            i,
            ((k as u32 % cols) * w) as i64,
            ((k as u32 / cols) * h) as i64,
        );
    }
    hemato::io::write_rgb_png(Path::new(&args[1]), &out).unwrap();
}
