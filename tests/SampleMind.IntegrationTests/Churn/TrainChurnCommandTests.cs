using SampleMind.IntegrationTests.Cli;

namespace SampleMind.IntegrationTests.Churn;

/// <summary>Issue 6, "Must show": `samplemind train-churn` on an empty or too small log stops with one clear line and a non-zero exit.</summary>
public sealed class TrainChurnCommandTests
{
    [Fact]
    public async Task EmptyLog_StopsWithOneClearLine()
    {
        await using var database = await PostgresDatabase.CreateAsync(migrate: true, TestContext.Current.CancellationToken);

        var result = await DbCommandTests.RunAsync(database.ConnectionString, "train-churn");

        Assert.Equal((1, ""), (result.ExitCode, result.Stdout));
        Assert.Equal("samplemind: the user event log is empty: nothing to train on (load events first, e.g. ./samplemind simulate --days 90 --target …)", result.Stderr);
        Assert.Equal(0L, await database.ScalarAsync<long>("select count(*) from churn_models"));
    }

    [Fact]
    public async Task TooShortLog_StopsWithOneClearLine()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var database = await PostgresDatabase.CreateAsync(migrate: true, ct);
        await SimulatedEventLog.InsertAsync(database.DataSource, users: 30, days: 40, seed: 61, ct);
        var (first, last) = (await database.ScalarAsync<DateTime>("select min(ts) from user_events"), await database.ScalarAsync<DateTime>("select max(ts) from user_events"));
        var span = DateOnly.FromDateTime(last).DayNumber - DateOnly.FromDateTime(first).DayNumber + 1;

        var result = await DbCommandTests.RunAsync(database.ConnectionString, "train-churn");

        Assert.Equal(1, result.ExitCode);
        Assert.Equal($"samplemind: the user event log spans {span} days ({first:yyyy-MM-dd} to {last:yyyy-MM-dd}): too short to train on, "
            + "train-churn needs at least 52 days (history, two cut-off dates, 30 days of outcome)", result.Stderr);
        Assert.Equal(0L, await database.ScalarAsync<long>("select count(*) from churn_models"));
    }

    [Fact]
    public async Task TooFewUsers_StopsWithOneClearLine()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var database = await PostgresDatabase.CreateAsync(migrate: true, ct);
        await SimulatedEventLog.InsertAsync(database.DataSource, users: 25, days: 70, seed: 62, ct);

        var result = await DbCommandTests.RunAsync(database.ConnectionString, "train-churn", "--json");

        Assert.Equal((1, ""), (result.ExitCode, result.Stdout));
        Assert.Single(result.Stderr.Split('\n'));
        Assert.Matches(@"^samplemind: too little data for a churn model: the (training|calibration|evaluation) set has \d+ churned and \d+ retained examples, it needs at least 10 of each \(more users or a longer event log\)$", result.Stderr);
        Assert.Equal(0L, await database.ScalarAsync<long>("select count(*) from churn_models"));
    }
}
