using System.ComponentModel.DataAnnotations;

namespace Konzen.Privacy.Subjects;

/// <summary>Registration codes and login lockout. Bound from <c>Subjects</c>.</summary>
public sealed class SubjectsOptions
{
    public const string Section = "Subjects";

    /// <summary>How long a one-time code and its registration stay valid. Defaults to 10 minutes.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "1.00:00:00")]
    public TimeSpan CodeLifetime { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Wrong entries allowed for one code before it stops working. Defaults to 5.</summary>
    [Range(1, 20)]
    public int MaxCodeAttempts { get; set; } = 5;

    /// <summary>Wrong passwords in a row that lock an account. Defaults to 5.</summary>
    [Range(1, 100)]
    public int MaxFailedLogins { get; set; } = 5;

    /// <summary>How long a locked account refuses every login. Defaults to 15 minutes.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan LockoutDuration { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>
    /// The key file that hashes codes and seals pending registrations and the SMS outbox. Defaults to
    /// null: <c>subjects.key</c> in the storage data directory, created (mode 0600) on first use.
    /// </summary>
    public string? KeyFile { get; set; }
}
