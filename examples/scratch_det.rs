use image::{Rgb, RgbImage};
fn main() {
    let a: Vec<String> = std::env::args().collect();
    let img = hemato::io::read_rgb_image(std::path::Path::new(&a[1])).unwrap();
    let f = hemato::count::fields::detect(&img, None).unwrap();
    println!(
        "bg {:?} density {} area {:?} n={}",
        f.background.rgb,
        f.cell_density,
        f.red_cell_area,
        f.detections.len()
    );
    let mut out = img.clone();
    for d in &f.detections {
        let c = match (d.kind, d.cells) {
            (hemato::count::Kind::WhiteCell, _) => [0, 0, 255],
            (hemato::count::Kind::Platelet, _) => [255, 0, 255],
            (_, 1) => [0, 160, 0],
            _ => [255, 128, 0],
        };
        for o in &d.particle.outlines {
            for &(x, y) in o {
                for (dx, dy) in [(0, 0), (-1, 0), (0, -1), (-1, -1)] {
                    let (px, py) = (x + dx, y + dy);
                    if px >= 0 && py >= 0 && (px as u32) < img.width() && (py as u32) < img.height()
                    {
                        out.put_pixel(px as u32, py as u32, Rgb(c));
                    }
                }
            }
        }
        // trace line segments between vertices
        for o in &d.particle.outlines {
            for w in 0..o.len() {
                let (x0, y0) = o[w];
                let (x1, y1) = o[(w + 1) % o.len()];
                let n = (x1 - x0).abs().max((y1 - y0).abs());
                for t in 0..=n {
                    let x = x0 + (x1 - x0) * t / n.max(1);
                    let y = y0 + (y1 - y0) * t / n.max(1);
                    if x >= 0 && y >= 0 && (x as u32) < img.width() && (y as u32) < img.height() {
                        out.put_pixel(x as u32, y as u32, Rgb(c));
                    }
                }
            }
        }
    }
    out.save(&a[2]).unwrap();
}
