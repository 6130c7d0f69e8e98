namespace Konzen.Privacy.Sharing;

/// <summary>Why a sharing command changed nothing; <see cref="None"/> when it did.</summary>
public enum SharingProblem
{
    None,

    /// <summary>The recipient, notice or request does not exist (or is not the caller's to see).</summary>
    NotFound,

    /// <summary>A field is wrong; <see cref="SharingOutcome{T}.Errors"/> names it.</summary>
    Invalid,

    /// <summary>The command does not fit the current state, such as deciding a request twice or a notice hash that is not current.</summary>
    Conflict,

    /// <summary>Four eyes: the staff member who filed a legal request may not decide it.</summary>
    SameStaffMember,
}

/// <summary>The result of a sharing command: the value, or why nothing was written.</summary>
/// <param name="Detail">One sentence for people, without personal data.</param>
/// <param name="Errors">Field errors for <see cref="SharingProblem.Invalid"/>, keyed by field name.</param>
public sealed record SharingOutcome<T>(T? Value, SharingProblem Problem = SharingProblem.None, string? Detail = null, IReadOnlyDictionary<string, string[]>? Errors = null)
    where T : class
{
    public bool Succeeded => Problem == SharingProblem.None;
}

/// <summary>Makes <see cref="SharingOutcome{T}"/> values.</summary>
public static class SharingOutcome
{
    public static SharingOutcome<T> Ok<T>(T value)
        where T : class => new(value);

    public static SharingOutcome<T> Fail<T>(SharingProblem problem, string detail)
        where T : class => new(null, problem, detail);

    public static SharingOutcome<T> Invalid<T>(IReadOnlyDictionary<string, string[]> errors)
        where T : class => new(null, SharingProblem.Invalid, "Some fields are invalid; nothing was changed.", errors);
}

/// <summary>Collects field errors in the order they are found.</summary>
internal sealed class FieldErrors
{
    private readonly Dictionary<string, List<string>> errors = new(StringComparer.Ordinal);

    public bool Any => errors.Count > 0;

    public void Add(string field, string message)
    {
        if (!errors.TryGetValue(field, out var list))
        {
            errors[field] = list = [];
        }

        list.Add(message);
    }

    public IReadOnlyDictionary<string, string[]> ToDictionary() =>
        errors.ToDictionary(e => e.Key, e => e.Value.ToArray(), StringComparer.Ordinal);
}
