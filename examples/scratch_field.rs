fn main() {
    let a: Vec<String> = std::env::args().collect();
    let image = hemato::io::read_rgb_image(a[1].as_ref()).unwrap();
    let x: f64 = a[2].parse().unwrap();
    let y: f64 = a[3].parse().unwrap();
    let s = hemato::features::Scale::from_red_cell_diameter(a[4].parse().unwrap()).unwrap();
    let c = hemato::features::describe_cell_at(&image, x, y, s).unwrap();
    println!("{:?}", c.bounds);
    hemato::io::write_rgb_png(a[5].as_ref(), &hemato::features::overlay(&image, &c)).unwrap();
}
