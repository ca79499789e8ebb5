using System.Security.Claims;
using Microsoft.Extensions.Options;
using SampleMind.ClientApi.Security;

namespace SampleMind.ClientApi.Privacy;

/// <summary>Which callers see small groups: admin keys do; every other key gets <see cref="SmallGroups"/> applied.</summary>
public sealed class SmallGroupPolicy(IOptions<PrivacyOptions> options)
{
    private readonly SmallGroups _groups = new(options.Value.MinGroupSize);

    /// <summary>The threshold to apply to <paramref name="user"/>'s answers, or null for an admin key (it sees everything).</summary>
    public SmallGroups? For(ClaimsPrincipal user) => user.IsInRole(nameof(ApiRole.Admin)) ? null : _groups;
}
