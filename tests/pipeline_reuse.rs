//! `hemato measure IMAGE` without a mask reuses what the segmentation already made: its
//! particles (`Segmented::particles_with`) and its thresholded channel (`measure_particles` with
//! a ready channel). The reference is the plain path, which scans the pipeline's mask with
//! Analyze Particles (`find_particles`, checked against ImageJ in `tests/measure_goldens.rs`) and
//! extracts the channel again (`measure_image`): both must give the same rows, for any options
//! and any number of threads.

use std::path::Path;

use hemato::io::{read_image, AnyImage};
use hemato::measure::{
    find_particles, measure_image, measure_particles, Calibration, Channel, ParticleOptions,
    Segmentation,
};
use hemato::segment::{
    measured_channel, read_with_source_channel, segment_gray, source_channel, PipelineConfig,
    SourceChannel,
};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn fixtures() -> Vec<AnyImage> {
    [
        "fixtures/smears/BloodImage_00003.jpg",
        "fixtures/smears/BloodImage_00309.jpg",
        "fixtures/aslan/image-1.png",
    ]
    .iter()
    .map(|file| read_image(&root().join(file)).unwrap())
    .collect()
}

fn option_sets() -> Vec<ParticleOptions> {
    let default = ParticleOptions::default();
    vec![
        default.clone(),
        ParticleOptions {
            exclude_edges: true,
            ..default.clone()
        },
        ParticleOptions {
            min_size: 60.0,
            max_size: 5000.0,
            min_circularity: 0.4,
            ..default.clone()
        },
        ParticleOptions {
            include_holes: true,
            exclude_edges: true,
            ..default
        },
    ]
}

fn configs() -> Vec<PipelineConfig> {
    let default = PipelineConfig::default();
    vec![
        default.clone(),
        PipelineConfig {
            channel: SourceChannel::Stain1,
            fill_holes: false,
            ..default.clone()
        },
        PipelineConfig {
            channel: SourceChannel::Blue,
            min_size: 40.0,
            exclude_edges: true,
            ..default.clone()
        },
        PipelineConfig {
            channel: SourceChannel::Red,
            watershed: false,
            ..default
        },
    ]
}

#[test]
fn pipeline_particles_equal_a_scan_of_its_mask() {
    for image in fixtures() {
        for config in configs() {
            let segmented =
                segment_gray(&source_channel(&image, &config).unwrap(), &config).unwrap();
            assert!(segmented.particles.len() > 3);
            for options in option_sets() {
                assert_eq!(
                    segmented.particles_with(&options),
                    find_particles(&segmented.mask, &options),
                    "{config:?} {options:?}"
                );
            }
        }
    }
}

#[test]
fn ready_channel_gives_the_rows_of_measure_image() {
    let channels = [
        Channel::Stain1,
        Channel::Red,
        Channel::Stain2,
        Channel::Image,
    ];
    let calibration = Calibration::default();
    for image in fixtures() {
        for config in configs() {
            let source = source_channel(&image, &config).unwrap();
            let segmented = segment_gray(&source, &config).unwrap();
            let channel = measured_channel(&config).unwrap();
            for options in option_sets() {
                let expected = measure_image(
                    &image,
                    Segmentation::Mask(&segmented.mask),
                    &channels,
                    &options,
                    &calibration,
                )
                .unwrap();
                let reused = measure_particles(
                    &image,
                    &segmented.particles_with(&options),
                    &channels,
                    Some((channel, &source)),
                    &calibration,
                )
                .unwrap();
                // Debug text: NaN columns (e.g. the skewness of a 1-pixel particle) are equal there.
                assert_eq!(
                    format!("{reused:?}"),
                    format!("{expected:?}"),
                    "{config:?} {options:?}"
                );
            }
        }
    }
}

#[test]
fn measured_channel_is_the_thresholded_image() {
    let image = &fixtures()[0];
    for channel in SourceChannel::ALL {
        let config = PipelineConfig {
            channel,
            ..PipelineConfig::default()
        };
        let Some(measured) = measured_channel(&config) else {
            assert_eq!(channel, SourceChannel::Gray);
            continue;
        };
        let made = hemato::measure::channel_image(image, measured).unwrap();
        assert_eq!(
            made,
            hemato::measure::ChannelImage::Gray8(source_channel(image, &config).unwrap())
        );
    }
    // Other stain sets are not the measured Giemsa channels.
    let config = PipelineConfig {
        stains: hemato::color::StainSet::HAndE,
        ..PipelineConfig::default()
    };
    assert_eq!(measured_channel(&config), None);
}

#[test]
fn same_rows_for_one_and_three_threads() {
    let image = &fixtures()[0];
    let config = PipelineConfig::default();
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            let source = source_channel(image, &config).unwrap();
            let segmented = segment_gray(&source, &config).unwrap();
            measure_particles(
                image,
                &segmented.particles_with(&ParticleOptions::default()),
                &[Channel::Stain2, Channel::Image],
                Some((Channel::Stain2, &source)),
                &Calibration::default(),
            )
            .unwrap()
        })
    };
    assert_eq!(format!("{:?}", run(1)), format!("{:?}", run(3)));
}

#[test]
fn ready_channel_of_another_size_is_refused() {
    let image = &fixtures()[0];
    let small = image::GrayImage::new(3, 3);
    let result = measure_particles(
        image,
        &[],
        &[Channel::Stain2],
        Some((Channel::Stain2, &small)),
        &Calibration::default(),
    );
    assert!(result.is_err());
}

#[test]
fn channel_made_while_decoding_is_the_channel_of_the_read_image() {
    // The BCCD field saved as an RGB PNG (decoded row by row, channel made band by band), the
    // Aslan RGBA PNG and the JPEG fields (read whole first): every source channel equals
    // `source_channel` of `read_image`, for 1 and 3 threads.
    let dir = tempfile::tempdir().unwrap();
    let field = root().join("fixtures/smears/BloodImage_00003.jpg");
    let png = dir.path().join("field.png");
    let AnyImage::Rgb8(rgb) = read_image(&field).unwrap() else {
        panic!("the BCCD field is RGB")
    };
    rgb.save(&png).unwrap();
    let files = [
        png,
        field,
        root().join("fixtures/smears/BloodImage_00309.jpg"),
        root().join("fixtures/aslan/image-1.png"),
    ];
    for file in &files {
        let image = read_image(file).unwrap();
        for channel in SourceChannel::ALL {
            let config = PipelineConfig {
                channel,
                ..PipelineConfig::default()
            };
            let expected = source_channel(&image, &config).unwrap();
            for threads in [1, 3] {
                let pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .build()
                    .unwrap();
                let (read, source) =
                    pool.install(|| read_with_source_channel(file, &config).unwrap());
                assert_eq!(read, image, "{file:?}");
                assert_eq!(source, expected, "{file:?} {channel:?} {threads} threads");
            }
        }
    }
}
