namespace SampleMind.Analytics.Forecasts;

/// <summary>
/// The Nelder–Mead downhill simplex (reflection 1, expansion 2, contraction ½, shrink ½) for a few unconstrained
/// parameters; constraints are the caller's (map the parameters through a bounded transform).
/// </summary>
public static class NelderMead
{
    /// <summary>The point of least <paramref name="f"/> found from <paramref name="start"/> (initial simplex: each axis + <paramref name="step"/>).</summary>
    public static (double[] Point, double Value) Minimize(Func<double[], double> f, double[] start, double step = 0.5,
        int maxEvaluations = 2000, double tolerance = 1e-10)
    {
        var n = start.Length;
        var simplex = new double[n + 1][];
        var values = new double[n + 1];
        var evaluations = 0;
        double Eval(double[] x)
        {
            evaluations++;
            var v = f(x);
            return double.IsFinite(v) ? v : double.MaxValue;
        }
        for (var i = 0; i <= n; i++)
        {
            simplex[i] = (double[])start.Clone();
            if (i > 0)
            {
                simplex[i][i - 1] += step;
            }
            values[i] = Eval(simplex[i]);
        }

        var order = new int[n + 1];
        while (evaluations < maxEvaluations)
        {
            for (var i = 0; i <= n; i++)
            {
                order[i] = i;
            }
            Array.Sort(order, (a, b) => values[a].CompareTo(values[b]));
            int best = order[0], worst = order[n], second = order[n - 1];
            if (Math.Abs(values[worst] - values[best]) <= tolerance * (Math.Abs(values[best]) + tolerance))
            {
                break;
            }

            var centroid = new double[n];
            foreach (var i in order[..n])
            {
                for (var k = 0; k < n; k++)
                {
                    centroid[k] += simplex[i][k] / n;
                }
            }
            double[] Toward(double t) => [.. centroid.Select((c, k) => c + t * (simplex[worst][k] - c))];

            var reflected = Toward(-1);
            var fr = Eval(reflected);
            if (fr < values[best])
            {
                var expanded = Toward(-2);
                var fe = Eval(expanded);
                (simplex[worst], values[worst]) = fe < fr ? (expanded, fe) : (reflected, fr);
            }
            else if (fr < values[second])
            {
                (simplex[worst], values[worst]) = (reflected, fr);
            }
            else
            {
                var contracted = fr < values[worst] ? Toward(-0.5) : Toward(0.5);
                var fc = Eval(contracted);
                if (fc < Math.Min(fr, values[worst]))
                {
                    (simplex[worst], values[worst]) = (contracted, fc);
                }
                else
                {
                    for (var i = 0; i <= n; i++)
                    {
                        if (i == best)
                        {
                            continue;
                        }
                        for (var k = 0; k < n; k++)
                        {
                            simplex[i][k] = simplex[best][k] + 0.5 * (simplex[i][k] - simplex[best][k]);
                        }
                        values[i] = Eval(simplex[i]);
                    }
                }
            }
        }
        var arg = 0;
        for (var i = 1; i <= n; i++)
        {
            if (values[i] < values[arg])
            {
                arg = i;
            }
        }
        return (simplex[arg], values[arg]);
    }
}
