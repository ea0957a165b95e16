// Times ImageJ's Analyze Particles with every measurement on a mask, intensities redirected
// to an 8-bit channel image (what `hemato measure CHANNEL --mask MASK` computes).
// Argument: "MASK.png;CHANNEL.png;OUT.csv". Prints "elapsed_ms=N" (open + analyse + save,
// without the Java start-up, which run.sh reports separately).
args = split(getArgument(), "(;)");
start = getTime();
setBatchMode(true);
setOption("BlackBackground", true);
open(args[1]);
channel = getTitle();
open(args[0]);
setThreshold(255, 255);
run("Set Measurements...", "area mean standard modal min centroid center perimeter bounding fit shape feret's integrated median skewness kurtosis area_fraction redirect=" + channel + " decimal=3");
run("Analyze Particles...", "size=0-Infinity circularity=0.00-1.00 show=Nothing display clear");
saveAs("Results", args[2]);
print("elapsed_ms=" + (getTime() - start));
print("particles=" + nResults);
