use hemato::features::*;
fn main() {
    let names = feature_names();
    for p in std::env::args().skip(1) {
        let image = hemato::io::read_rgb_image(p.as_ref()).unwrap();
        let c = describe_centred_cell(&image, None).unwrap();
        let (w, h) = image.dimensions();
        let a = describe_cell_at(&image, w as f64 / 2.0 - 0.5, h as f64 / 2.0 - 0.5, c.scale);
        match a {
            Ok(a) => {
                let mut s = format!("{p} {:.1}", c.scale.red_cell_diameter());
                for n in [
                    "nucleus_area",
                    "cell_area",
                    "nucleus_fraction",
                    "nucleus_methylene_blue_mean",
                    "cytoplasm_eosin_mean",
                    "nucleus_glcm1_contrast",
                ] {
                    let i = names.iter().position(|x| x == n).unwrap();
                    s += &format!(" {n}={:.3}/{:.3}", c.features[i], a.features[i]);
                }
                println!("{s}");
            }
            Err(e) => println!("{p} ERR {e}"),
        }
    }
}
