use hemato::count::evaluation::*;
use hemato::count::fields::*;
use rayon::prelude::*;
fn main() {
    let mut s = Settings::default();
    for (k, v) in std::env::vars() {
        let f: f64 = match v.parse() {
            Ok(f) => f,
            Err(_) => continue,
        };
        match k.as_str() {
            "EDGE" => s.cell_edge_fraction = f as f32,
            "VIOLET" => s.nucleus_violet = f as f32,

            "REACH" => s.nucleus_reach = f,
            "WHITE" => s.white_nucleus = f,
            "PLT" => s.platelet_min = f,
            "CYTO" => s.cytoplasm = f,
            "FRAG" => s.fragment = f,
            "BFRAG" => s.border_fragment = f,
            _ => {}
        }
    }
    let per = std::env::var("PER").is_ok();
    for (name, ds) in [
        (
            "bccd",
            voc_dataset("../shared/data/smears-sample".as_ref()).unwrap(),
        ),
        (
            "aslan",
            csv_dataset("../shared/data/aslan-sample".as_ref()).unwrap(),
        ),
    ] {
        let scores: Vec<ImageScore> = ds
            .par_iter()
            .map(|im| {
                let rgb = hemato::io::read_rgb_image(&im.path).unwrap();
                let f = detect_with(&rgb, None, &s).unwrap();
                ImageScore::of(im, &f.detections)
            })
            .collect();
        let sum = DatasetSummary::of(&scores);
        println!("{name}: rbc |err| {:.1}% signed {:+.1}% rec {:.3} prec {:.3} | wbc TP {} FP {} FN {} | plt TP {} FP {} FN {}", sum.red_mean_absolute_error, sum.red_mean_error, sum.red.recall().unwrap_or(0.0), sum.red.precision().unwrap_or(0.0), sum.white.true_positives, sum.white.false_positives, sum.white.false_negatives, sum.platelets.true_positives, sum.platelets.false_positives, sum.platelets.false_negatives);
        if per {
            for sc in &scores {
                if sc.white.false_positives + sc.white.false_negatives > 0
                    || sc.red_count_error().map_or(false, |e| e.abs() > 15.0)
                {
                    println!(
                        "  {} rbc {}/{} wbc {:?}",
                        sc.image, sc.red_counted, sc.red_boxes, sc.white
                    );
                }
            }
        }
    }
}
