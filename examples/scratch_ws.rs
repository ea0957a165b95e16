use hemato::color::*;
use hemato::io::FloatImage;
use hemato::measure::{find_particles, ParticleOptions};
use image::{GrayImage, RgbImage};
use rayon::prelude::*;
use std::time::Instant;

fn per_particle(mask: &GrayImage) -> GrayImage {
    let (w, h) = mask.dimensions();
    let t = Instant::now();
    let edm = hemato::edm::distance_map(mask);
    let gmax = edm.as_raw().iter().cloned().fold(0f32, f32::max);
    let t1 = t.elapsed();
    let particles = find_particles(mask, &ParticleOptions::default());
    let t2 = t.elapsed();
    let cuts: Vec<Vec<(u32, u32)>> = particles
        .par_iter()
        .map(|p| {
            let x0 = p.bounds.x.saturating_sub(1);
            let y0 = p.bounds.y.saturating_sub(1);
            let x1 = (p.bounds.x + p.bounds.width + 1).min(w);
            let y1 = (p.bounds.y + p.bounds.height + 1).min(h);
            let cw = x1 - x0 + 2;
            let ch = y1 - y0;
            let mut crop = FloatImage::new(cw, ch);
            for r in &p.runs {
                for x in r.x_start..r.x_end {
                    crop.put_pixel(x - x0, r.y - y0, image::Luma([edm.get_pixel(x, r.y).0[0]]));
                }
            }
            crop.put_pixel(cw - 1, 0, image::Luma([gmax]));
            let cut = hemato::watershed::watershed_of_distance_map(&crop).unwrap();
            let mut out = Vec::new();
            for r in &p.runs {
                for x in r.x_start..r.x_end {
                    if cut.get_pixel(x - x0, r.y - y0).0[0] == 0 {
                        out.push((x, r.y));
                    }
                }
            }
            out
        })
        .collect();
    let t3 = t.elapsed();
    let mut out = mask.clone();
    for c in cuts {
        for (x, y) in c {
            out.put_pixel(x, y, image::Luma([0]));
        }
    }
    eprintln!("  edm {:?} particles {:?} crops {:?}", t1, t2, t3);
    out
}

fn main() {
    let tile = hemato::io::read_rgb_image(std::path::Path::new(
        "tests/goldens/color/rgb-to-gray/inputs/smear-00020.png",
    ))
    .unwrap();
    let image = RgbImage::from_fn(2048, 2048, |x, y| {
        *tile.get_pixel(x % tile.width(), y % tile.height())
    });
    let giemsa = StainMatrix::new(&StainSet::Giemsa.vectors(), ThirdStain::CrossProduct).unwrap();
    let g = stain_transmittance(&image, &giemsa, 1).unwrap();
    let hh = hemato::threshold::histogram(&g);
    let r = hemato::threshold::range(
        hemato::threshold::Method::Otsu,
        &hh,
        hemato::threshold::Background::Light,
    )
    .unwrap();
    let m = hemato::threshold::apply(&g, r);
    let f = hemato::morphology::fill_holes(&m);
    println!(
        "fg fraction {}",
        f.as_raw().iter().filter(|&&v| v == 255).count() as f64 / (2048.0 * 2048.0)
    );
    for _ in 0..3 {
        let t = Instant::now();
        let a = hemato::watershed::watershed(&f).unwrap();
        let ta = t.elapsed();
        let t = Instant::now();
        let b = per_particle(&f);
        let tb = t.elapsed();
        println!("global {:?} per-particle {:?} equal {}", ta, tb, a == b);
    }
    // aslan images
    for entry in std::fs::read_dir("../shared/data/aslan-sample/images")
        .unwrap()
        .take(20)
    {
        let img = hemato::io::read_rgb_image(&entry.unwrap().path()).unwrap();
        for s in 0..3 {
            let g = stain_transmittance(&img, &giemsa, s).unwrap();
            let hh = hemato::threshold::histogram(&g);
            let r = hemato::threshold::range(
                hemato::threshold::Method::Otsu,
                &hh,
                hemato::threshold::Background::Light,
            )
            .unwrap();
            let m = hemato::morphology::fill_holes(&hemato::threshold::apply(&g, r));
            let a = hemato::watershed::watershed(&m).unwrap();
            let b = per_particle(&m);
            if a != b {
                let d: Vec<_> = a
                    .enumerate_pixels()
                    .filter(|(x, y, p)| p.0[0] != b.get_pixel(*x, *y).0[0])
                    .map(|(x, y, p)| (x, y, p.0[0]))
                    .collect();
                println!("DIFF s={} n={} {:?}", s, d.len(), &d[..d.len().min(6)]);
            }
        }
    }
}
