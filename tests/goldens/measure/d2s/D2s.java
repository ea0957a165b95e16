// Prints ImageJ's ResultsTable.d2s for a set of values and decimal counts: "bits;decimals;text".
// The values: hand-picked edge cases (ties, tiny, huge, negative zero) plus pseudo-random ones.
import ij.measure.ResultsTable;

public class D2s {
    public static void main(String[] args) {
        double[] special = {0.0, -0.0, 0.5, 1.5, 2.5, -2.5, 0.125, 0.375, 1.0005, 2.675, 0.0005,
            0.001, 0.00099999, 1e-4, -1e-4, 5.889999e-4, 123456.7895, 999999999999.0,
            1000000000000.0, 1.5e12, -3.25e15, 1e-10, 3.4028234663852886e38, 1e300, 0.1, 0.7,
            100.0, 36063.0, 2147483647.0, 2147483648.0, -2147483649.0, 12.3456789012345,
            Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY};
        int[] decimals = {0, 1, 2, 3, 4, 6, 9};
        StringBuilder out = new StringBuilder();
        java.util.Random random = new java.util.Random(42);
        double[] values = new double[special.length + 1000];
        System.arraycopy(special, 0, values, 0, special.length);
        for (int i = special.length; i < values.length; i++) {
            double magnitude = Math.pow(10, random.nextInt(16) - 6);
            double v = (random.nextDouble() - 0.3) * magnitude;
            if (i % 5 == 0) v = Math.round(v * 1000) / 1000.0 + 0.0005; // near ties at 3 decimals
            values[i] = v;
        }
        for (double v : values)
            for (int d : decimals)
                out.append(Long.toHexString(Double.doubleToRawLongBits(v))).append(';').append(d)
                   .append(';').append(ResultsTable.d2s(v, d)).append('\n');
        System.out.print(out);
    }
}
