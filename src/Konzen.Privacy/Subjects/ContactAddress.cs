using System.Net.Mail;
using PhoneNumbers;

namespace Konzen.Privacy.Subjects;

/// <summary>
/// Normalizes the contact details a subject registers with, so that one person's address always
/// gives the same blind index: phone numbers as E.164, email addresses trimmed and lower-cased.
/// </summary>
public static class ContactAddress
{
    /// <summary>Numbers without a country code are read as numbers of this region (S2.3: the service is in China).</summary>
    public const string DefaultPhoneRegion = "CN";

    private const int MaxEmailLength = 254;

    /// <summary>A valid phone number as E.164 (<c>+8613812345678</c>), or false.</summary>
    public static bool TryNormalizePhone(string? input, out string e164)
    {
        e164 = string.Empty;
        if (string.IsNullOrWhiteSpace(input) || input.Length > 32)
        {
            return false;
        }

        try
        {
            var utility = PhoneNumberUtil.GetInstance();
            var number = utility.Parse(input, DefaultPhoneRegion);
            if (!utility.IsValidNumber(number))
            {
                return false;
            }

            e164 = utility.Format(number, PhoneNumberFormat.E164);
            return true;
        }
        catch (NumberParseException)
        {
            return false;
        }
    }

    /// <summary>
    /// A single plain address (<c>local@domain</c>, no display name, no comments) trimmed and
    /// lower-cased, or false. Lower-casing the local part is a deliberate simplification: mail
    /// providers treat it case-insensitively in practice, and one person must not get two accounts.
    /// </summary>
    public static bool TryNormalizeEmail(string? input, out string email)
    {
        email = string.Empty;
        var trimmed = input?.Trim();
        if (string.IsNullOrEmpty(trimmed) || trimmed.Length > MaxEmailLength || trimmed.Any(char.IsWhiteSpace))
        {
            return false;
        }

        if (!MailAddress.TryCreate(trimmed, out var address) || address.Address != trimmed || !address.Host.Contains('.', StringComparison.Ordinal))
        {
            return false;
        }

        email = trimmed.ToLowerInvariant();
        return true;
    }
}
