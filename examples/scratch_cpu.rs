use image::RgbImage;
fn cpu() -> f64 {
    let mut u = unsafe { std::mem::zeroed::<R>() };
    unsafe { getrusage(0, &mut u) };
    u.a as f64 + u.b as f64 * 1e-6
}
#[repr(C)]
struct R {
    a: i64,
    b: i64,
    rest: [i64; 16],
}
extern "C" {
    fn getrusage(who: i32, r: *mut R) -> i32;
}
fn main() {
    let tile = hemato::io::read_rgb_image(std::path::Path::new(
        "tests/goldens/color/rgb-to-gray/inputs/smear-00020.png",
    ))
    .unwrap();
    let image = hemato::io::AnyImage::Rgb8(RgbImage::from_fn(2048, 2048, |x, y| {
        *tile.get_pixel(x % tile.width(), y % tile.height())
    }));
    let config = hemato::segment::PipelineConfig::default();
    let n = 5;
    let (mut c, mut w) = (0.0, 0.0);
    for _ in 0..n {
        let t = std::time::Instant::now();
        let c0 = cpu();
        let s = hemato::segment::segment(&image, &config).unwrap();
        let l = s.labels();
        c += (cpu() - c0) / n as f64;
        w += t.elapsed().as_secs_f64() / n as f64;
        std::hint::black_box(l);
    }
    println!("cpu {:.1} ms wall {:.1} ms", c * 1e3, w * 1e3);
}
