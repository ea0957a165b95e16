fn main() {
    let a: Vec<String> = std::env::args().collect();
    let img = hemato::io::read_rgb_image(std::path::Path::new(&a[1])).unwrap();
    let bg = hemato::count::stain_maps::estimate_background(&img);
    let m = hemato::count::stain_maps::StainMaps::new(&img, &bg);
    let mut h = [0u32; 64];
    for &d in &m.density {
        h[((d * 20.0) as usize).min(63)] += 1;
    }
    let total = m.density.len() as f64;
    let s: Vec<String> = h
        .iter()
        .enumerate()
        .filter(|(_, &c)| c > 0)
        .map(|(i, &c)| format!("{:.2}:{:.1}", i as f64 / 20.0, c as f64 / total * 100.0))
        .collect();
    println!("{}", s.join(" "));
    let scaled = image::GrayImage::from_raw(
        m.width,
        m.height,
        m.density
            .iter()
            .map(|&d| (d * 100.0).round().clamp(0.0, 255.0) as u8)
            .collect(),
    )
    .unwrap();
    let hist = hemato::threshold::histogram(&scaled);
    for meth in [
        hemato::threshold::Method::Otsu,
        hemato::threshold::Method::Triangle,
        hemato::threshold::Method::Li,
        hemato::threshold::Method::Default,
    ] {
        print!(
            "{} {} ",
            meth,
            hemato::threshold::level(meth, &hist).unwrap()
        );
    }
    println!();
}
