// dump channel masks side by side: args image out.png
use hemato::color::*;
use image::{GrayImage, RgbImage};
fn main() {
    let a: Vec<String> = std::env::args().collect();
    let img = hemato::io::read_rgb_image(std::path::Path::new(&a[1])).unwrap();
    let giemsa = StainMatrix::new(&StainSet::Giemsa.vectors(), ThirdStain::CrossProduct).unwrap();
    let (w, h) = img.dimensions();
    let mut chans: Vec<(String, GrayImage)> = vec![];
    for s in 0..2 {
        chans.push((
            format!("stain{}", s + 1),
            stain_transmittance(&img, &giemsa, s).unwrap(),
        ));
    }
    chans.push(("green".into(), hemato::measure::rgb_channel(&img, 1)));
    chans.push(("gray".into(), rgb_to_gray(&img)));
    let mut out = RgbImage::new(w * 3, h * (chans.len() as u32));
    for (i, (name, g)) in chans.iter().enumerate() {
        let hist = hemato::threshold::histogram(g);
        let lvl = hemato::threshold::level(hemato::threshold::Method::Otsu, &hist).unwrap();
        println!("{name} otsu {lvl}");
        let m = hemato::threshold::apply(
            g,
            hemato::threshold::Range::for_level(lvl, hemato::threshold::Background::Light),
        );
        let f = hemato::morphology::fill_holes(&m);
        let ws = hemato::watershed::watershed(&f).unwrap();
        for y in 0..h {
            for x in 0..w {
                let v = g.get_pixel(x, y).0[0];
                out.put_pixel(x, y + i as u32 * h, image::Rgb([v, v, v]));
                let p = img.get_pixel(x, y).0;
                let mv = ws.get_pixel(x, y).0[0];
                out.put_pixel(x + w, y + i as u32 * h, image::Rgb([mv, mv, mv]));
                let edge = f.get_pixel(x, y).0[0] != ws.get_pixel(x, y).0[0];
                out.put_pixel(
                    x + 2 * w,
                    y + i as u32 * h,
                    if edge {
                        image::Rgb([0, 255, 0])
                    } else {
                        image::Rgb(p)
                    },
                );
            }
        }
    }
    out.save(&a[2]).unwrap();
}
