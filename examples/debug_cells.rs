// Scratch debugging tool (not committed).
use hemato::color::rgb_to_gray;
use hemato::threshold::{self, Background, Method, Range};
use std::path::Path;
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let image = hemato::io::read_rgb_image(Path::new(&args[1])).unwrap();
    let out = Path::new(&args[2]);
    std::fs::create_dir_all(out).unwrap();
    let grey = rgb_to_gray(&image);
    let level = threshold::level(Method::Otsu, &threshold::histogram(&grey)).unwrap();
    println!("grey otsu {level}");
    for (name, method) in [
        ("triangle", Method::Triangle),
        ("huang", Method::Huang),
        ("li", Method::Li),
        ("mean", Method::Mean),
    ] {
        let l = threshold::level(method, &threshold::histogram(&grey)).unwrap();
        println!("{name} {l}");
        let f = threshold::apply(&grey, Range::for_level(l, Background::Light));
        hemato::io::write_gray_png(
            &out.join(format!("fg-{name}.png")),
            &hemato::morphology::fill_holes(&f),
        )
        .unwrap();
    }
    let fg = threshold::apply(&grey, Range::for_level(level, Background::Light));
    hemato::io::write_gray_png(&out.join("fg.png"), &fg).unwrap();
    let filled = hemato::morphology::fill_holes(&fg);
    let cut = hemato::watershed::watershed(&filled).unwrap();
    hemato::io::write_gray_png(&out.join("cut.png"), &cut).unwrap();
    let blue =
        hemato::color::stain_transmittance(&image, &hemato::features::colour::giemsa(), 0).unwrap();
    hemato::io::write_gray_png(&out.join("blue.png"), &blue).unwrap();
    let nl = hemato::features::cell::nucleus_like(&image, &grey, &blue);
    hemato::io::write_gray_png(&out.join("nucleus_like.png"), &nl).unwrap();
    hemato::io::write_rgb_png(&out.join("image.png"), &image).unwrap();
    let m = hemato::features::colour::giemsa();
    for a in args[3..].iter() {
        let v: Vec<u32> = a.split(',').map(|t| t.parse().unwrap()).collect();
        let p = image.get_pixel(v[0], v[1]).0;
        let od = hemato::color::absorbance_of_pixel(&m, p);
        println!(
            "{:?} rgb {:?} od {:?} b-r {}",
            v,
            p,
            od,
            p[2] as i32 - p[0] as i32
        );
    }
    match hemato::features::estimate_red_cell_diameter(&image, &nl) {
        Ok(s) => println!("scale {}", s.red_cell_diameter()),
        Err(e) => println!("scale error {e}"),
    }
}
#[allow(dead_code)]
fn unused() {}
