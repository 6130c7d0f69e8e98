using System.ComponentModel.DataAnnotations;

namespace Konzen.Privacy.Notices;

/// <summary>The SMTP server mail goes out through. Bound from <c>Email</c>.</summary>
public sealed class EmailOptions
{
    public const string Section = "Email";

    /// <summary>SMTP host. Defaults to <c>localhost</c>.</summary>
    [Required]
    public string Host { get; set; } = "localhost";

    /// <summary>SMTP port. Defaults to 25.</summary>
    [Range(1, 65535)]
    public int Port { get; set; } = 25;

    /// <summary>
    /// Require TLS (STARTTLS or implicit TLS on 465). Defaults to false so that a local relay works
    /// out of the box; set it for any server that is not on the same host (S3.2).
    /// </summary>
    public bool RequireTls { get; set; }

    /// <summary>Optional SMTP user name.</summary>
    public string? UserName { get; set; }

    /// <summary>Optional SMTP password; give it through the environment (<c>Email__Password</c>), never in a file in the repository.</summary>
    public string? Password { get; set; }

    /// <summary>The sender address. Defaults to <c>privacy@konzen.example</c>.</summary>
    [Required]
    public string From { get; set; } = "privacy@konzen.example";
}
