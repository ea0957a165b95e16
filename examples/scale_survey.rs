// Scratch: per-image scale estimates over many images (not committed).
use std::path::Path;
fn main() {
    let args: Vec<String> = std::env::args().collect();
    for p in &args[1..] {
        let image = hemato::io::read_rgb_image(Path::new(p)).unwrap();
        let blue =
            hemato::color::stain_transmittance(&image, &hemato::features::colour::giemsa(), 0)
                .unwrap();
        let nl = hemato::features::cell::nucleus_like(
            &image,
            &hemato::color::rgb_to_gray(&image),
            &blue,
        );
        match hemato::features::estimate_red_cell_diameter(&image, &nl) {
            Ok(s) => println!("{p} {:.1}", s.red_cell_diameter()),
            Err(e) => println!("{p} ERR {e}"),
        }
    }
}
