using Microsoft.Extensions.Logging;
using SampleMind.Analytics.Privacy;
using SampleMind.Privacy;

namespace SampleMind.Users;

public sealed partial class UserGrain
{
    private RetentionCutoffs? _retained; // the cut-offs this user's log was trimmed to; null: never trimmed

    /// <remarks>
    /// The snapshot is written first, with the cut-offs in it: the events to delete are then held by the model the
    /// snapshot stores (a later activation replays only the tail after it and never misses them), and a crash between
    /// that write and the delete leaves rows a re-run deletes. Only rows at or below the applied position go, so a row
    /// this activation has not read (an earlier activation's late append) is not deleted before it is applied.
    /// The aggregates keep the trimmed events' shares: the day figures of old days do not change.
    /// </remarks>
    public async Task<RetentionTrimResult> ApplyRetentionAsync(DateOnly analyticsBefore, DateOnly financialBefore)
    {
        if (_mergedInto is { } person)
        {
            return await GrainFactory.GetGrain<IUserGrain>(person).ApplyRetentionAsync(analyticsBefore, financialBefore);
        }
        if (_erased)
        {
            return new RetentionTrimResult(0, 0); // the erasure deletes every row
        }
        // Cut-offs only move forward: a run with shorter horizons configured later does not un-refuse what was trimmed.
        var cutoffs = new RetentionCutoffs(
            Max(analyticsBefore, _retained?.AnalyticsBefore), Max(financialBefore, _retained?.FinancialBefore), DateTimeOffset.MinValue);
        _retained = cutoffs;
        if (_model.EventsApplied > 0)
        {
            state.State.AnalyticsBefore = cutoffs.AnalyticsBefore;
            state.State.FinancialBefore = cutoffs.FinancialBefore;
            await WriteSnapshotAsync();
        }
        var (analytics, financial) = await retention.DeleteBeforeAsync(UserId, _appliedSeq, cutoffs.AnalyticsBefore, cutoffs.FinancialBefore);
        if (analytics + financial > 0)
        {
            logger.LogInformation("{UserId}: retention deleted {Analytics} raw and {Financial} financial events from the log",
                UserId, analytics, financial);
        }
        return new RetentionTrimResult(analytics, financial);
    }

    private static DateOnly Max(DateOnly day, DateOnly? other) => other is { } o && o > day ? o : day;

    private static RetentionCutoffs? RetainedOf(UserState snapshot)
        => snapshot.AnalyticsBefore is { } analytics
            ? new RetentionCutoffs(analytics, snapshot.FinancialBefore ?? DateOnly.MinValue, DateTimeOffset.MinValue)
            : null;
}
