fn main() {
    let a: Vec<String> = std::env::args().collect();
    let img = hemato::io::read_rgb_image(std::path::Path::new(&a[1])).unwrap();
    let bg = hemato::count::stain_maps::estimate_background(&img);
    let m = hemato::count::stain_maps::StainMaps::new(&img, &bg);
    let (w, h) = img.dimensions();
    let mut out = image::RgbImage::new(w * 3, h);
    for y in 0..h {
        for x in 0..w {
            let i = (y * w + x) as usize;
            out.put_pixel(x, y, *img.get_pixel(x, y));
            let v = ((m.blue[i] - m.eosin[i]) * 400.0 + 128.0).clamp(0.0, 255.0) as u8;
            out.put_pixel(x + w, y, image::Rgb([v, v, v]));
            let r = (m.blue[i] / m.density[i].max(0.05) * 255.0).clamp(0.0, 255.0) as u8;
            out.put_pixel(x + 2 * w, y, image::Rgb([r, r, r]));
        }
    }
    out.save(&a[2]).unwrap();
}
