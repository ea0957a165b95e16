use hemato::color::*;
use image::RgbImage;
use std::time::Instant;
fn main() {
    let tile = hemato::io::read_rgb_image(std::path::Path::new(
        "tests/goldens/color/rgb-to-gray/inputs/smear-00020.png",
    ))
    .unwrap();
    println!("tile {:?}", tile.dimensions());
    let image = RgbImage::from_fn(2048, 2048, |x, y| {
        *tile.get_pixel(x % tile.width(), y % tile.height())
    });
    let giemsa = StainMatrix::new(&StainSet::Giemsa.vectors(), ThirdStain::CrossProduct).unwrap();
    for _ in 0..2 {
        let t = Instant::now();
        let g = stain_transmittance(&image, &giemsa, 1).unwrap();
        let t1 = t.elapsed();
        let h = hemato::threshold::histogram(&g);
        let r = hemato::threshold::range(
            hemato::threshold::Method::Otsu,
            &h,
            hemato::threshold::Background::Light,
        )
        .unwrap();
        let m = hemato::threshold::apply(&g, r);
        let t2 = t.elapsed();
        let f = hemato::morphology::fill_holes(&m);
        let t3 = t.elapsed();
        let w = hemato::watershed::watershed(&f).unwrap();
        let t4 = t.elapsed();
        let p = hemato::measure::find_particles(&w, &Default::default());
        let t5 = t.elapsed();
        println!("{:?} {:?} {:?} {:?} {:?} n={}", t1, t2, t3, t4, t5, p.len());
    }
}
