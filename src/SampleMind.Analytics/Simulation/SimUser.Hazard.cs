using static SampleMind.Analytics.Simulation.SimulationCatalog;

namespace SampleMind.Analytics.Simulation;

/// <summary>The realistic churn model (<see cref="SimulationChurn.Realistic"/>): see <see cref="ChurnHazard"/>.</summary>
internal sealed partial class SimUser
{
    private bool _realistic;
    private SimRandom? _hazardRng;
    private ChurnHazardParameters? _hazard;

    /// <summary>The latent state (realistic churn only).</summary>
    public LatentState Latent { get; private set; }

    /// <summary>Whether, when disengaging, this person stays active until they cancel (realistic churn only).</summary>
    public bool ActiveUntilCancel { get; private set; }

    /// <summary>The true 30-day churn probability at each truth cut-off day (null before the person exists).</summary>
    public List<double?> ChurnTruth { get; } = [];

    private void InitHazard(SimulationChurn churn)
    {
        if (churn != SimulationChurn.Realistic)
        {
            return;
        }
        _realistic = true;
        // A stream of its own: the latent path and the hazard draws.
        _hazardRng = SimRandom.ForUser(_seed, Index, stream: 0xC4A2D);
        _hazard = ChurnHazard.For(Persona);
        ActiveUntilCancel = _hazardRng.Chance(ChurnHazard.ActiveUntilCancelShare);
        var disengaging = Math.Min(0.3, 8 * _hazard.EngagedToDisengaging);
        var u = _hazardRng.NextDouble();
        Latent = u < disengaging ? LatentState.Disengaging : u < disengaging + 0.08 ? LatentState.Quiet : LatentState.Engaged;
        if (Persona != Persona.Dropout)
        {
            ChurnDay = null; // the hazard decides
        }
    }

    /// <summary>The start of a day: one step of the latent chain.</summary>
    private void StepLatent()
    {
        Latent = _hazard!.Step(Latent, _hazardRng!.NextDouble());
        _declining = Latent == LatentState.Disengaging;
    }

    private double RealisticActiveChance(LatentState state, int day) =>
        Persona == Persona.Dropout ? 0 : Math.Min(0.99, ActiveChance * ChurnHazard.Activity(state, ActiveUntilCancel) * WeekendFactor(day));

    private double WeekendFactor(int day) => ((int)(((_windowStartMs / MsPerDay) + day + 4) % 7)) >= 5 ? 1.1 : 1.0;

    /// <summary>The end of a day: whether the hazard strikes.</summary>
    private bool HazardStrikes() => _hazardRng!.Chance(_hazard!.Hazard(Latent));

    /// <summary>Records the truth at the end of <paramref name="day"/> (after its events).</summary>
    public void RecordChurnTruth(int day) => ChurnTruth.Add(TrueChurnProbability(day));

    /// <summary>
    /// The exact probability of the train-churn label over days <paramref name="day"/> + 1 … + 30, from the state now:
    /// paying → P(cancellation); otherwise → P(no event). Null before the person exists; 1 once they left.
    /// </summary>
    public double? TrueChurnProbability(int day)
    {
        if (!_realistic || (SignupDay >= 0 && day < SignupDay))
        {
            return null;
        }
        if (Churned || !_verified)
        {
            return 1.0;
        }
        if (IsPaid)
        {
            return ChurnHazard.PaidCancelProbability(_hazard!, Latent, _paymentAttempts, NextRenewalDay, _anchorDay, PaymentRisk, day);
        }
        var certain = new List<int>(2);
        if (Plan == Free && TrialDay > day)
        {
            certain.Add(TrialDay);
        }
        if (Plan == Trial)
        {
            if (PaymentAddedDay > day)
            {
                certain.Add(PaymentAddedDay);
            }
            if (TrialDay + TrialDays > day)
            {
                certain.Add(TrialDay + TrialDays);
            }
        }
        return ChurnHazard.SilentProbability(_hazard!, Latent, RealisticActiveChance, certain, day);
    }
}
