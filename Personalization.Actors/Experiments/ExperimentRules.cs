using System.Collections.Immutable;
using System.Text.RegularExpressions;

namespace Personalization.Actors.Experiments;

/// <summary>What an operator asks of the experiments; <see cref="ExperimentRules.Decide"/> accepts or refuses it.</summary>
public abstract record ExperimentCommand(string Name);

/// <summary>A new experiment, as a draft. <see cref="Salt"/> defaults to the name (a new name reshuffles users).</summary>
public sealed record CreateExperiment(
    string Name, ExperimentKind Kind, IReadOnlyList<VariantDefinition> Variants, string? Salt = null,
    DateTimeOffset? StartAt = null, DateTimeOffset? EndAt = null, string? Description = null) : ExperimentCommand(Name);

/// <summary>New weights (by variant name; variants not named keep theirs) and/or a new end time.</summary>
public sealed record SetExperiment(string Name, IReadOnlyDictionary<string, double>? Weights = null, DateTimeOffset? EndAt = null) : ExperimentCommand(Name);

public sealed record StartExperiment(string Name) : ExperimentCommand(Name);

public sealed record StopExperiment(string Name) : ExperimentCommand(Name);

/// <summary>The outcome: the experiment as it now is, or why nothing changed.</summary>
public sealed record ExperimentDecision(ExperimentDefinition? Accepted, string? Refusal)
{
    public static ExperimentDecision Refuse(string reason) => new(null, reason);

    public static ExperimentDecision Accept(ExperimentDefinition next) => new(next, null);
}

/// <summary>
/// Every rule of experiments, free of Akka and storage: a command against the current experiments and the time gives
/// the changed experiment or a refusal with a reason. A user belongs to at most one experiment (its variant decides
/// the model that steps the user's state), so at most one experiment runs at a time.
/// </summary>
public static partial class ExperimentRules
{
    public const int MaxNameLength = 64;
    public const int MaxVariantNameLength = 32;
    public const int MaxK = 100;

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]*$")]
    private static partial Regex NamePattern();

    /// <param name="modelProblem">Why a variant's model folder cannot serve (null: it can).</param>
    public static ExperimentDecision Decide(
        IReadOnlyDictionary<string, ExperimentDefinition> experiments, ExperimentCommand command, Func<string, string?> modelProblem, DateTimeOffset now)
    {
        if (NameProblem(command.Name, MaxNameLength, "experiment name") is { } bad) return ExperimentDecision.Refuse(bad);
        if (command is CreateExperiment create) return Create(experiments, create, modelProblem, now);
        if (!experiments.TryGetValue(command.Name, out var current)) return ExperimentDecision.Refuse($"no experiment named \"{command.Name}\"");
        return command switch
        {
            SetExperiment set => Set(current, set, now),
            StartExperiment => Start(experiments, current, modelProblem, now),
            StopExperiment => current.Status == ExperimentStatus.Stopped
                ? ExperimentDecision.Refuse($"experiment \"{current.Name}\" is already stopped")
                : ExperimentDecision.Accept(current with { Status = ExperimentStatus.Stopped, Revision = current.Revision + 1, UpdatedAt = now }),
            _ => ExperimentDecision.Refuse($"unknown command {command.GetType().Name}"),
        };
    }

    private static ExperimentDecision Create(
        IReadOnlyDictionary<string, ExperimentDefinition> experiments, CreateExperiment c, Func<string, string?> modelProblem, DateTimeOffset now)
    {
        if (experiments.ContainsKey(c.Name)) return ExperimentDecision.Refuse($"an experiment named \"{c.Name}\" exists already (names are never reused: a report stays attributable)");
        if (c.Variants is null || c.Variants.Count < 2) return ExperimentDecision.Refuse("an experiment needs at least 2 variants");
        if (c.Variants.Count > BucketMap.MaxVariants) return ExperimentDecision.Refuse($"an experiment has at most {BucketMap.MaxVariants} variants");
        if (c.Kind == ExperimentKind.Interleaving && c.Variants.Count != 2) return ExperimentDecision.Refuse("an interleaving experiment compares exactly 2 variants");
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var v in c.Variants)
        {
            if (NameProblem(v.Name, MaxVariantNameLength, "variant name") is { } bad) return ExperimentDecision.Refuse(bad);
            if (!names.Add(v.Name)) return ExperimentDecision.Refuse($"variant \"{v.Name}\" is named twice");
            if (!(v.Weight >= 0) || double.IsInfinity(v.Weight)) return ExperimentDecision.Refuse($"variant \"{v.Name}\": the weight must be a finite number ≥ 0");
            if (v.K is { } k && (k < 1 || k > MaxK)) return ExperimentDecision.Refuse($"variant \"{v.Name}\": k must be from 1 to {MaxK}");
            if (v.Model is { } model && modelProblem(model) is { } problem) return ExperimentDecision.Refuse($"variant \"{v.Name}\": model \"{model}\" cannot serve: {problem}");
        }

        if (c.Kind == ExperimentKind.AbTest && c.Variants.Sum(v => v.Weight) <= 0) return ExperimentDecision.Refuse("the weights must not all be 0");
        if (c.Kind == ExperimentKind.Interleaving && c.Variants[0].Model == c.Variants[1].Model)
            return ExperimentDecision.Refuse("an interleaving experiment compares two different models");
        if (c.Kind == ExperimentKind.Interleaving && c.Variants[1].Model is null)
            return ExperimentDecision.Refuse("the second variant of an interleaving experiment names its model folder (every session keeps its state beside the first's)");
        var salt = string.IsNullOrWhiteSpace(c.Salt) ? c.Name : c.Salt;
        if (salt.Length > MaxNameLength) return ExperimentDecision.Refuse($"the salt is at most {MaxNameLength} characters");
        if (c.StartAt is { } s && c.EndAt is { } e && e <= s) return ExperimentDecision.Refuse("the end time must be after the start time");
        if (c.EndAt is { } end && end <= now) return ExperimentDecision.Refuse("the end time is in the past");

        // Interleaving puts every user in the experiment (both variants' lists in each answer): all buckets in one arm.
        var weights = c.Kind == ExperimentKind.Interleaving ? [1.0, 0.0] : c.Variants.Select(v => v.Weight).ToArray();
        var variants = c.Kind == ExperimentKind.Interleaving ? [.. c.Variants.Select(v => v with { Weight = 1 })] : c.Variants.ToImmutableArray();
        return ExperimentDecision.Accept(new ExperimentDefinition(
            c.Name, c.Kind, salt, variants, ExperimentStatus.Draft, c.StartAt, c.EndAt, BucketMap.Allocate(weights), 1, now, now, c.Description));
    }

    private static ExperimentDecision Set(ExperimentDefinition current, SetExperiment set, DateTimeOffset now)
    {
        if (current.Status == ExperimentStatus.Stopped) return ExperimentDecision.Refuse($"experiment \"{current.Name}\" is stopped; create a new one");
        if (set.Weights is null && set.EndAt is null) return ExperimentDecision.Refuse("nothing to set: give weights and/or an end time");
        var next = current;
        if (set.Weights is { } weights)
        {
            if (current.Kind == ExperimentKind.Interleaving) return ExperimentDecision.Refuse("an interleaving experiment has no weights: every user sees both variants");
            foreach (var name in weights.Keys)
                if (current.Variants.All(v => v.Name != name)) return ExperimentDecision.Refuse($"experiment \"{current.Name}\" has no variant \"{name}\"");
            foreach (var (name, w) in weights)
                if (!(w >= 0) || double.IsInfinity(w)) return ExperimentDecision.Refuse($"variant \"{name}\": the weight must be a finite number ≥ 0");
            var variants = current.Variants.Select(v => weights.TryGetValue(v.Name, out var w) ? v with { Weight = w } : v).ToImmutableArray();
            if (variants.Sum(v => v.Weight) <= 0) return ExperimentDecision.Refuse("the weights must not all be 0");
            next = next with { Variants = variants, Buckets = current.Buckets.Rebalance([.. variants.Select(v => v.Weight)]) };
        }

        if (set.EndAt is { } end)
        {
            if (end <= now) return ExperimentDecision.Refuse("the end time is in the past; stop the experiment instead");
            if (current.StartAt is { } start && end <= start) return ExperimentDecision.Refuse("the end time must be after the start time");
            next = next with { EndAt = end };
        }

        return ExperimentDecision.Accept(next with { Revision = current.Revision + 1, UpdatedAt = now });
    }

    private static ExperimentDecision Start(
        IReadOnlyDictionary<string, ExperimentDefinition> experiments, ExperimentDefinition current, Func<string, string?> modelProblem, DateTimeOffset now)
    {
        if (current.Status == ExperimentStatus.Running) return ExperimentDecision.Refuse($"experiment \"{current.Name}\" is running already");
        if (current.Status == ExperimentStatus.Stopped) return ExperimentDecision.Refuse($"experiment \"{current.Name}\" is stopped; create a new one");
        if (current.EndAt is { } end && end <= now) return ExperimentDecision.Refuse("its end time has passed");
        var running = experiments.Values.FirstOrDefault(e => e.Status == ExperimentStatus.Running && e.Name != current.Name && (e.EndAt is null || e.EndAt > now));
        if (running is not null)
            return ExperimentDecision.Refuse($"experiment \"{running.Name}\" is running; a user is in one experiment at a time, stop it first");
        foreach (var v in current.Variants)
            if (v.Model is { } model && modelProblem(model) is { } problem) return ExperimentDecision.Refuse($"variant \"{v.Name}\": model \"{model}\" cannot serve: {problem}");
        return ExperimentDecision.Accept(current with { Status = ExperimentStatus.Running, StartAt = current.StartAt ?? now, Revision = current.Revision + 1, UpdatedAt = now });
    }

    private static string? NameProblem(string? name, int max, string what)
    {
        if (string.IsNullOrEmpty(name)) return $"the {what} is empty";
        if (name.Length > max) return $"the {what} is longer than {max} characters";
        if (!NamePattern().IsMatch(name)) return $"the {what} \"{Events.ReasonText.Quote(name)}\" must be lower-case letters, digits, '.', '_' or '-', starting with a letter or digit";
        return null;
    }
}
