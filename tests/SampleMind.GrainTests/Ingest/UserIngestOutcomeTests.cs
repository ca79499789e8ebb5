using SampleMind.Users;

namespace SampleMind.GrainTests.Ingest;

/// <summary>
/// The router's answer for one request's user calls: only calls that completed successfully count as done. A soak with a
/// kill -9 lost 18 acknowledged events when Orleans cancelled four calls it could not address and they were counted as done.
/// </summary>
public sealed class UserIngestOutcomeTests
{
    [Fact]
    public void ACancelledCall_IsAFailure_SoTheRequestIsRetried_NotAcknowledged()
    {
        var outcome = UserIngestFanOut.OutcomeOf([Task.CompletedTask, Task.FromCanceled(new CancellationToken(canceled: true)), Task.CompletedTask]);

        Assert.Equal((3, 1, 0), (outcome.Users, outcome.FailedUsers, outcome.RejectedUsers));
        Assert.StartsWith("TaskCanceledException", outcome.FirstError);
    }

    [Fact]
    public void Faulted_Cancelled_Rejected_AndDone_AreEachCountedAsWhatTheyAre()
    {
        var rejected = new EventRejectedException(["m-1", "m-2"], "54000", "index row size exceeds maximum");
        var outcome = UserIngestFanOut.OutcomeOf(
        [
            Task.FromException(new TimeoutException("no response in 30 s")),
            Task.FromCanceled(new CancellationToken(canceled: true)),
            Task.FromException(rejected),
            Task.CompletedTask,
        ]);

        Assert.Equal((4, 2, 1), (outcome.Users, outcome.FailedUsers, outcome.RejectedUsers));
        Assert.Equal("TimeoutException: no response in 30 s", outcome.FirstError);
        Assert.Equal([new RejectedEvent("m-1", "54000", "index row size exceeds maximum"), new RejectedEvent("m-2", "54000", "index row size exceeds maximum")], outcome.Rejected);
    }

    [Fact]
    public void EveryCallDone_IsNoFailure()
    {
        var outcome = UserIngestFanOut.OutcomeOf([Task.CompletedTask, Task.CompletedTask]);

        Assert.Equal((2, 0, 0, null), (outcome.Users, outcome.FailedUsers, outcome.RejectedUsers, outcome.FirstError));
    }
}
