using System.Globalization;
using System.Text;

namespace SampleMind.Analytics.Churn;

/// <summary>
/// A reliability diagram as a standalone SVG: per calibration bin (the ten equal-count deciles), the mean predicted
/// probability (x) against the observed churn rate (y), for the model and, on simulated data, the oracle (the true
/// probabilities); the diagonal is perfect calibration.
/// </summary>
public static class ReliabilityChart
{
    private const int Size = 420;
    private const int Margin = 50;

    public static string Svg(ChurnModelMetrics m)
    {
        static string F(double x) => x.ToString("0.##", CultureInfo.InvariantCulture);
        double X(double p) => Margin + p * (Size - 2 * Margin);
        double Y(double p) => Size - Margin - p * (Size - 2 * Margin);
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Size + 170}\" height=\"{Size}\" font-family=\"sans-serif\" font-size=\"12\">\n");
        svg.Append(CultureInfo.InvariantCulture, $"<rect width=\"{Size + 170}\" height=\"{Size}\" fill=\"white\"/>\n");
        for (var t = 0; t <= 10; t += 2)
        {
            var v = t / 10.0;
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{F(X(v))}\" y1=\"{F(Y(0))}\" x2=\"{F(X(v))}\" y2=\"{F(Y(1))}\" stroke=\"#eee\"/>");
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{F(X(0))}\" y1=\"{F(Y(v))}\" x2=\"{F(X(1))}\" y2=\"{F(Y(v))}\" stroke=\"#eee\"/>");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{F(X(v))}\" y=\"{Size - Margin + 16}\" text-anchor=\"middle\">{F(v)}</text>");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Margin - 8}\" y=\"{F(Y(v) + 4)}\" text-anchor=\"end\">{F(v)}</text>\n");
        }
        svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{F(X(0))}\" y1=\"{F(Y(0))}\" x2=\"{F(X(1))}\" y2=\"{F(Y(1))}\" stroke=\"#999\" stroke-dasharray=\"4 4\"/>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Size / 2}\" y=\"{Size - 12}\" text-anchor=\"middle\">mean predicted probability (decile)</text>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<text transform=\"translate(14 {Size / 2}) rotate(-90)\" text-anchor=\"middle\">observed 30-day churn rate</text>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Margin}\" y=\"24\" font-size=\"14\">Reliability, out of time ({m.TestExamples:N0} test examples)</text>\n");

        void Series(IReadOnlyList<CalibrationBin> bins, string color, string label, double ece, double auc, int row)
        {
            svg.Append(CultureInfo.InvariantCulture, $"<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"2\" points=\"{string.Join(' ', bins.Select(b => $"{F(X(b.MeanPredicted))},{F(Y(b.ObservedRate))}"))}\"/>\n");
            foreach (var b in bins)
            {
                svg.Append(CultureInfo.InvariantCulture, $"<circle cx=\"{F(X(b.MeanPredicted))}\" cy=\"{F(Y(b.ObservedRate))}\" r=\"3.5\" fill=\"{color}\"/>");
            }
            var y = 60 + row * 40;
            svg.Append(CultureInfo.InvariantCulture, $"\n<rect x=\"{Size}\" y=\"{y - 10}\" width=\"12\" height=\"12\" fill=\"{color}\"/><text x=\"{Size + 18}\" y=\"{y}\">{label}</text>");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Size + 18}\" y=\"{y + 16}\">AUC {auc:0.0000}, ECE {ece:0.0000}</text>\n");
        }

        Series(m.Calibration, "#1f77b4", "model (FastTree + Platt)", m.Ece, m.Auc, 0);
        if (m.Oracle is { } oracle)
        {
            Series(oracle.Calibration, "#d62728", "oracle (true probability)", oracle.Ece, oracle.Auc, 1);
        }
        svg.Append("</svg>\n");
        return svg.ToString();
    }
}
