namespace Konzen.Privacy.Subjects;

/// <summary>Why registration or login refused a request; the host maps each kind to one problem type.</summary>
public enum RefusalKind
{
    /// <summary>A field is missing or malformed; <see cref="Refusal.Errors"/> says which.</summary>
    InvalidInput,

    /// <summary>The accepted policy hash is not the policy in force.</summary>
    PolicyOutdated,

    /// <summary>No pending registration has this id (never made, finished or expired and removed).</summary>
    UnknownRegistration,

    /// <summary>The code is wrong, or was used already.</summary>
    InvalidCode,

    /// <summary>The code's ten minutes are over.</summary>
    CodeExpired,

    /// <summary>Too many wrong codes: this code no longer works.</summary>
    TooManyAttempts,

    /// <summary>A verified address already belongs to an account. Only the address's owner, who holds the code, learns this.</summary>
    AlreadyRegistered,

    /// <summary>Wrong address or password, or a locked account; deliberately one answer for all three.</summary>
    LoginFailed,

    /// <summary>The end of the service is announced: no new account is opened (S2.5).</summary>
    ServiceCeasing,
}

/// <summary>A refusal: its kind, a human explanation free of personal data, and field errors where they apply.</summary>
public sealed record Refusal(RefusalKind Kind, string Detail, IReadOnlyDictionary<string, string[]>? Errors = null);
