// exploration: background colour, normalized OD stains
use image::{Rgb, RgbImage};
fn background(img: &RgbImage) -> [f64; 3] {
    let mut grays: Vec<u32> = img
        .pixels()
        .map(|p| p.0.iter().map(|&v| v as u32).sum())
        .collect();
    grays.sort_unstable();
    let cut = grays[grays.len() * 6 / 10];
    let mut hist = std::collections::HashMap::new();
    for p in img.pixels() {
        let s: u32 = p.0.iter().map(|&v| v as u32).sum();
        if s >= cut {
            *hist
                .entry((p.0[0] / 8, p.0[1] / 8, p.0[2] / 8))
                .or_insert(0u32) += 1;
        }
    }
    let (&mode, _) = hist.iter().max_by_key(|(k, v)| (**v, **k)).unwrap();
    let (mut sum, mut n) = ([0f64; 3], 0f64);
    for p in img.pixels() {
        let k = (p.0[0] / 8, p.0[1] / 8, p.0[2] / 8);
        if (k.0 as i32 - mode.0 as i32).abs() <= 1
            && (k.1 as i32 - mode.1 as i32).abs() <= 1
            && (k.2 as i32 - mode.2 as i32).abs() <= 1
        {
            for c in 0..3 {
                sum[c] += p.0[c] as f64;
            }
            n += 1.0;
        }
    }
    [sum[0] / n, sum[1] / n, sum[2] / n]
}
fn main() {
    let a: Vec<String> = std::env::args().collect();
    let img = hemato::io::read_rgb_image(std::path::Path::new(&a[1])).unwrap();
    let bg = background(&img);
    println!("bg {:?}", bg);
    let m = hemato::color::StainMatrix::new(
        &hemato::color::StainSet::Giemsa.vectors(),
        hemato::color::ThirdStain::CrossProduct,
    )
    .unwrap();
    let q = m.inverse();
    let (w, h) = img.dimensions();
    let mut out = RgbImage::new(w * 2, h);
    for (x, y, p) in img.enumerate_pixels() {
        let od: Vec<f64> = (0..3)
            .map(|c| (bg[c] / (p.0[c].max(1) as f64)).ln().max(0.0))
            .collect();
        let s: Vec<f64> = (0..3)
            .map(|i| od[0] * q[0][i] + od[1] * q[1][i] + od[2] * q[2][i])
            .collect();
        let f = |v: f64| (v * 255.0).clamp(0.0, 255.0) as u8;
        out.put_pixel(x, y, *p);
        out.put_pixel(x + w, y, Rgb([f(s[1]), f(s[2].abs()), f(s[0])]));
    }
    out.save(&a[2]).unwrap();
}
