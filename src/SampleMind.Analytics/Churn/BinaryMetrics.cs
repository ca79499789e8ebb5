namespace SampleMind.Analytics.Churn;

/// <summary>One decile of a calibration table: the examples whose predicted probability ranks in it.</summary>
public sealed record class CalibrationBin(int Decile, int Count, double MeanPredicted, double ObservedRate, double MinPredicted, double MaxPredicted);

/// <summary>How well probabilities separate and match outcomes.</summary>
public sealed record class BinaryMetrics(
    int Examples,
    int Positives,
    double Auc,
    double PrAuc,
    double LogLoss,
    IReadOnlyList<CalibrationBin> Calibration,
    double Brier = double.NaN,
    double Ece = double.NaN,
    double TopDecileCapture = double.NaN,
    double TopDecileLift = double.NaN)
{
    /// <summary>Probabilities are clipped to [ε, 1 − ε] for the log loss.</summary>
    public const double Epsilon = 1e-15;

    /// <summary>
    /// AUC = the probability that a random positive scores above a random negative (ties count half; the
    /// Mann–Whitney statistic over mid-ranks). PR-AUC = average precision: the mean, over positives in descending score,
    /// of the precision at each (tied scores enter together). Log loss = mean −ln p(outcome), natural log.
    /// Calibration: the examples sorted by probability and cut into 10 groups of equal size (the first ones take the
    /// remainder), each with its mean predicted probability and observed positive rate. Brier = mean (p − y)².
    /// ECE (expected calibration error) = Σ over those 10 equal-count bins of (bin size / n) · |mean predicted − observed
    /// rate|. Top-decile capture = the share of all positives among the ⌈n / 10⌉ highest probabilities (ties at the
    /// boundary broken by the input order, the later first); lift = that capture / (⌈n / 10⌉ / n).
    /// </summary>
    public static BinaryMetrics Compute(IReadOnlyList<double> probabilities, IReadOnlyList<bool> labels)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(probabilities.Count, labels.Count);
        var n = probabilities.Count;
        var order = Enumerable.Range(0, n).OrderBy(i => probabilities[i]).ToArray();
        var positives = labels.Count(l => l);
        var negatives = n - positives;

        // AUC from mid-ranks.
        double rankSum = 0;
        for (var i = 0; i < n;)
        {
            var j = i;
            while (j + 1 < n && probabilities[order[j + 1]] == probabilities[order[i]])
            {
                j++;
            }
            var midRank = (i + j) / 2.0 + 1;
            for (var k = i; k <= j; k++)
            {
                if (labels[order[k]])
                {
                    rankSum += midRank;
                }
            }
            i = j + 1;
        }
        var auc = positives == 0 || negatives == 0 ? double.NaN : (rankSum - positives * (positives + 1) / 2.0) / ((double)positives * negatives);

        // Average precision, descending, ties as one step.
        double ap = 0;
        var truePositives = 0;
        for (var i = n - 1; i >= 0;)
        {
            var j = i;
            var groupPositives = 0;
            while (j >= 0 && probabilities[order[j]] == probabilities[order[i]])
            {
                groupPositives += labels[order[j]] ? 1 : 0;
                j--;
            }
            truePositives += groupPositives;
            ap += groupPositives * (truePositives / (double)(n - 1 - j));
            i = j;
        }
        var prAuc = positives == 0 ? double.NaN : ap / positives;

        double logLoss = 0;
        for (var i = 0; i < n; i++)
        {
            var p = Math.Clamp(probabilities[i], Epsilon, 1 - Epsilon);
            logLoss -= labels[i] ? Math.Log(p) : Math.Log(1 - p);
        }

        var bins = new List<CalibrationBin>(10);
        var start = 0;
        for (var d = 0; d < 10 && n > 0; d++)
        {
            var size = n / 10 + (d < n % 10 ? 1 : 0);
            if (size == 0)
            {
                continue;
            }
            var slice = order.AsSpan(start, size);
            double sum = 0;
            var observed = 0;
            foreach (var i in slice)
            {
                sum += probabilities[i];
                observed += labels[i] ? 1 : 0;
            }
            bins.Add(new CalibrationBin(d + 1, size, Math.Round(sum / size, 4), Math.Round(observed / (double)size, 4),
                Math.Round(probabilities[slice[0]], 4), Math.Round(probabilities[slice[^1]], 4)));
            start += size;
        }

        double brier = 0;
        for (var i = 0; i < n; i++)
        {
            var d = probabilities[i] - (labels[i] ? 1 : 0);
            brier += d * d;
        }
        double ece = 0;
        start = 0;
        for (var d = 0; d < 10 && n > 0; d++)
        {
            var size = n / 10 + (d < n % 10 ? 1 : 0);
            if (size == 0)
            {
                continue;
            }
            double sum = 0;
            var observed = 0;
            foreach (var i in order.AsSpan(start, size))
            {
                sum += probabilities[i];
                observed += labels[i] ? 1 : 0;
            }
            ece += size / (double)n * Math.Abs(sum / size - observed / (double)size);
            start += size;
        }
        var top = (n + 9) / 10;
        var captured = 0;
        for (var k = 0; k < top; k++)
        {
            captured += labels[order[n - 1 - k]] ? 1 : 0;
        }
        var capture = positives == 0 ? double.NaN : captured / (double)positives;
        var lift = n == 0 ? double.NaN : capture / (top / (double)n);

        return new BinaryMetrics(n, positives, Math.Round(auc, 4), Math.Round(prAuc, 4), Math.Round(n == 0 ? double.NaN : logLoss / n, 4), bins,
            Math.Round(n == 0 ? double.NaN : brier / n, 4), Math.Round(n == 0 ? double.NaN : ece, 4), Math.Round(capture, 4), Math.Round(lift, 4));
    }
}
