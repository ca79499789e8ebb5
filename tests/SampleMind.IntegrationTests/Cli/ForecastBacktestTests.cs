using System.Text.Json;
using SampleMind.Analytics.Forecasts;

namespace SampleMind.IntegrationTests.Cli;

/// <summary>
/// `samplemind forecast --backtest` on a simulated population loaded with `simulate --into-log`: the figures it prints
/// are the definitions applied to the DAU and signups series, recomputed here from SQL over the log.
/// </summary>
public sealed class ForecastBacktestTests
{
    [Fact]
    public async Task Backtest_OnASimulatedLog_ReportsMapeAndCoverage_ExactlyAsDefined()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var database = await PostgresDatabase.CreateAsync(migrate: true, ct);
        var load = await DbCommandTests.RunAsync(database.ConnectionString,
            "simulate", "--users", "150", "--days", "56", "--seed", "19", "--now", "2026-06-01", "--into-log");
        Assert.Equal(0, load.ExitCode);

        var run = await DbCommandTests.RunAsync(database.ConnectionString,
            "forecast", "--backtest", "--series", "dau,signups", "--horizon", "7", "--step", "3", "--json");

        Assert.Equal((0, ""), (run.ExitCode, run.Stderr));
        using var json = JsonDocument.Parse(run.Stdout.Trim().Split('\n')[^1]);
        var series = json.RootElement.GetProperty("series").EnumerateArray().ToDictionary(s => s.GetProperty("name").GetString()!);

        // The oracle: DAU and signups per UTC day by SQL, from the first active day to the log's last day.
        var dau = new SortedDictionary<DateOnly, double>();
        var signups = new Dictionary<DateOnly, double>();
        async Task ReadAsync(string sql, Action<DateOnly, double> add)
        {
            await using var command = database.DataSource.CreateCommand(sql);
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                add(reader.GetFieldValue<DateOnly>(0), reader.GetInt64(1));
            }
        }
        await ReadAsync("SELECT (ts AT TIME ZONE 'UTC')::date, count(DISTINCT user_id) FROM user_events GROUP BY 1",
            (d, v) => dau[d] = v);
        // A signup as the KPI rows count it (the earliest of signup_started and an identify's created_at).
        await ReadAsync($"SELECT (signup AT TIME ZONE 'UTC')::date, count(*) FROM ({Rollups.OracleSql.Signups}) u GROUP BY 1",
            (d, v) => signups[d] = v);
        var first = dau.Keys.First();
        var days = dau.Keys.Last().DayNumber - first.DayNumber + 1;
        Assert.Equal(56, days);
        double[] Series(IReadOnlyDictionary<DateOnly, double> values)
            => [.. Enumerable.Range(0, days).Select(i => values.GetValueOrDefault(first.AddDays(i)))];

        foreach (var (name, values) in new[] { ("dau", Series(dau)), ("signups", Series(signups)) })
        {
            var reported = series[name];
            Assert.Equal(first.ToString("yyyy-MM-dd"), reported.GetProperty("start").GetString());
            Assert.Equal(56, reported.GetProperty("days").GetInt32());
            // Origins at 28, 31, …, 49 days of history (49 + 7 = 56).
            int[] origins = [28, 31, 34, 37, 40, 43, 46, 49];
            Assert.Equal(origins, reported.GetProperty("byOrigin").EnumerateArray().Select(o => o.GetProperty("history").GetInt32()));
            Assert.Equal(origins.Length * 7, reported.GetProperty("pairs").GetInt32());

            // Every origin recomputed independently: its forecast from only the days before it.
            double methodSum = 0, naiveSum = 0;
            int mapePairs = 0, covered = 0;
            foreach (var (n, o) in origins.Zip(reported.GetProperty("byOrigin").EnumerateArray()))
            {
                var forecast = Forecaster.Forecast(values[..n], 7);
                double originSum = 0;
                var originPairs = 0;
                for (var h = 0; h < 7; h++)
                {
                    var actual = values[n + h];
                    var naive = values[n - 7 + h]; // the same weekday of the last observed week
                    covered += forecast[h].Lower <= actual && actual <= forecast[h].Upper ? 1 : 0;
                    if (actual > 0)
                    {
                        methodSum += Math.Abs(actual - forecast[h].Baseline) / actual;
                        originSum += Math.Abs(actual - forecast[h].Baseline) / actual;
                        naiveSum += Math.Abs(actual - naive) / actual;
                        mapePairs++;
                        originPairs++;
                    }
                }
                if (originPairs > 0)
                {
                    Assert.Equal(100 * originSum / originPairs, o.GetProperty("methodMape").GetDouble(), 9);
                }
            }
            Assert.Equal(mapePairs, reported.GetProperty("mapePairs").GetInt32());
            Assert.Equal(100 * methodSum / mapePairs, reported.GetProperty("methodMape").GetDouble(), 9);
            Assert.Equal(100 * naiveSum / mapePairs, reported.GetProperty("naiveMape").GetDouble(), 9);
            Assert.Equal((double)covered / (origins.Length * 7), reported.GetProperty("coverage").GetDouble(), 12);
        }
    }
}
