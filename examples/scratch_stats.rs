use image::RgbImage;
fn background(img: &RgbImage) -> [f64; 3] {
    let mut grays: Vec<u32> = img
        .pixels()
        .map(|p| p.0.iter().map(|&v| v as u32).sum())
        .collect();
    grays.sort_unstable();
    let cut = grays[grays.len() * 6 / 10];
    let mut hist = std::collections::HashMap::new();
    for p in img.pixels() {
        let s: u32 = p.0.iter().map(|&v| v as u32).sum();
        if s >= cut {
            *hist
                .entry((p.0[0] / 8, p.0[1] / 8, p.0[2] / 8))
                .or_insert(0u32) += 1;
        }
    }
    let (&mode, _) = hist.iter().max_by_key(|(k, v)| (**v, **k)).unwrap();
    let (mut sum, mut n) = ([0f64; 3], 0f64);
    for p in img.pixels() {
        let k = (p.0[0] / 8, p.0[1] / 8, p.0[2] / 8);
        if (k.0 as i32 - mode.0 as i32).abs() <= 1
            && (k.1 as i32 - mode.1 as i32).abs() <= 1
            && (k.2 as i32 - mode.2 as i32).abs() <= 1
        {
            for c in 0..3 {
                sum[c] += p.0[c] as f64;
            }
            n += 1.0;
        }
    }
    [sum[0] / n, sum[1] / n, sum[2] / n]
}
fn boxes(ds: &str) -> Vec<(String, String, [f64; 4])> {
    let mut v = vec![];
    if ds == "aslan" {
        for l in std::fs::read_to_string("../shared/data/aslan-sample/annotations.csv")
            .unwrap()
            .lines()
            .skip(1)
        {
            let f: Vec<&str> = l.trim().split(',').collect();
            v.push((
                f[0].to_string(),
                f[5].to_string(),
                [
                    f[1].parse().unwrap(),
                    f[2].parse().unwrap(),
                    f[3].parse().unwrap(),
                    f[4].parse().unwrap(),
                ],
            ));
        }
    } else {
        for e in std::fs::read_dir("../shared/data/smears-sample/annotations").unwrap() {
            let p = e.unwrap().path();
            let t = std::fs::read_to_string(&p).unwrap();
            let img = p.file_stem().unwrap().to_str().unwrap().to_string() + ".jpg";
            for o in t.split("<object>").skip(1) {
                let g = |tag: &str| {
                    let s = o.find(&format!("<{tag}>")).unwrap() + tag.len() + 2;
                    let e = o[s..].find('<').unwrap();
                    o[s..s + e].trim().to_string()
                };
                v.push((
                    img.clone(),
                    g("name").to_lowercase(),
                    [
                        g("xmin").parse().unwrap(),
                        g("ymin").parse().unwrap(),
                        g("xmax").parse().unwrap(),
                        g("ymax").parse().unwrap(),
                    ],
                ));
            }
        }
    }
    v
}
fn pct(v: &mut Vec<f64>, ps: &[f64]) -> Vec<String> {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    ps.iter()
        .map(|p| format!("{:.3}", v[((v.len() - 1) as f64 * p) as usize]))
        .collect()
}
fn main() {
    let m = hemato::color::StainMatrix::new(
        &hemato::color::StainSet::Giemsa.vectors(),
        hemato::color::ThirdStain::CrossProduct,
    )
    .unwrap();
    let q = m.inverse();
    for ds in ["aslan", "bccd"] {
        let bx = boxes(ds);
        let mut imgs: Vec<String> = bx.iter().map(|b| b.0.clone()).collect();
        imgs.sort();
        imgs.dedup();
        let mut stat: std::collections::HashMap<String, Vec<Vec<f64>>> = Default::default();
        for name in &imgs {
            let dir = if ds == "aslan" {
                "../shared/data/aslan-sample/images/"
            } else {
                "../shared/data/smears-sample/images/"
            };
            let img =
                hemato::io::read_rgb_image(std::path::Path::new(&format!("{dir}{name}"))).unwrap();
            let bg = background(&img);
            for (_, class, b) in bx.iter().filter(|b| &b.0 == name) {
                let e = stat.entry(class.clone()).or_insert(vec![vec![]; 4]);
                for y in b[1] as u32..(b[3] as u32).min(img.height()) {
                    for x in b[0] as u32..(b[2] as u32).min(img.width()) {
                        let p = img.get_pixel(x, y);
                        let od: Vec<f64> = (0..3)
                            .map(|c| (bg[c] / (p.0[c].max(1) as f64)).ln().max(0.0))
                            .collect();
                        let s: Vec<f64> = (0..3)
                            .map(|i| od[0] * q[0][i] + od[1] * q[1][i] + od[2] * q[2][i])
                            .collect();
                        e[0].push(s[0]);
                        e[1].push(s[1]);
                        e[2].push(od[0] - od[2]);
                        e[3].push(od.iter().sum());
                    }
                }
            }
        }
        for (class, mut v) in stat {
            let ps = [0.5, 0.75, 0.9, 0.95, 0.99, 0.999];
            println!(
                "{ds} {class}: MB {:?}\n   E {:?}\n   MB-E {:?}\n   OD {:?}",
                pct(&mut v[0], &ps),
                pct(&mut v[1], &ps),
                pct(&mut v[2], &ps),
                pct(&mut v[3], &ps)
            );
        }
    }
}
