// ImageJ 1.53t oracle for hemato's measure goldens: runs every job of jobs.txt.
// Usage: run_ij.sh batch_analyze_particles.ijm "/abs/path/to/tests/goldens/measure"
// jobs.txt lines: name;mask;gray;extra;scale
//   mask  : 8-bit mask in inputs/, objects = 255
//   gray  : optional intensity image in inputs/, measured through "redirect"
//   extra : Analyze Particles keywords (include, exclude, pixel, size=a-b, circularity=a-b)
//   scale : optional Set Scale arguments, applied to the mask and the intensity image
// Writes expected/NAME.9.csv and expected/NAME.3.csv (all measurements, 9 and 3 decimals).
dir = getArgument();
lines = split(File.openAsString(dir + "/jobs.txt"), "\n");
setBatchMode(true);
setOption("BlackBackground", true);
count = 0;
for (i = 0; i < lines.length; i++) {
  line = lines[i];
  if (line == "" || startsWith(line, "#")) continue;
  f = split(line, "(;)");
  name = f[0]; mask = f[1]; gray = f[2]; extra = f[3]; scale = "";
  if (f.length > 4) scale = f[4];
  redirect = "None";
  if (gray != "") {
    open(dir + "/inputs/" + gray);
    if (scale != "") run("Set Scale...", scale);
    redirect = getTitle();
  }
  open(dir + "/inputs/" + mask);
  if (bitDepth() != 8) run("8-bit");
  if (scale != "") run("Set Scale...", scale);
  setThreshold(255, 255);
  options = extra;
  if (indexOf(extra, "size=") < 0) options = options + " size=0-Infinity";
  if (indexOf(extra, "circularity=") < 0) options = options + " circularity=0.00-1.00";
  decimals = newArray(9, 3);
  for (d = 0; d < decimals.length; d++) {
    run("Set Measurements...", "area mean standard modal min centroid center perimeter bounding fit shape feret's integrated median skewness kurtosis area_fraction redirect=" + redirect + " decimal=" + decimals[d]);
    run("Analyze Particles...", options + " show=Nothing display clear");
    saveAs("Results", dir + "/expected/" + name + "." + decimals[d] + ".csv");
  }
  count = count + nResults;
  close("*");
}
print("jobs done, particles in last decimals pass: " + count);
