using System.Runtime.Versioning;
using Konzen.Privacy.Storage;
using Konzen.Privacy.Subjects;
using Microsoft.Extensions.Options;

namespace Konzen.Privacy.Tests.Subjects;

// Key files are checked for Unix permissions; the service refuses a key others can read.
[UnsupportedOSPlatform("windows")]
public sealed class VerificationCodesTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("konzen-codes-").FullName;

    [Fact]
    public void New_TenThousandCodes_AreSixDigitsAndSpreadOverTheRange()
    {
        var codes = Enumerable.Range(0, 10_000).Select(_ => VerificationCodes.New()).ToList();

        Assert.All(codes, c => Assert.True(VerificationCodes.IsWellFormed(c), c));
        Assert.True(codes.Distinct(StringComparer.Ordinal).Count() > 9_900);
        Assert.Equal(10, codes.Select(c => c[0]).Distinct().Count());
    }

    [Theory]
    [InlineData("12345")]
    [InlineData("1234567")]
    [InlineData("12345a")]
    [InlineData("１２３４５６")]
    [InlineData(null)]
    public void IsWellFormed_NotSixAsciiDigits_IsFalse(string? code) => Assert.False(VerificationCodes.IsWellFormed(code));

    [Fact]
    public void Matches_CodeOfAnotherRegistrationOrChannel_IsFalse()
    {
        var secrets = Secrets();
        var registration = Guid.NewGuid();
        var stored = new VerificationCode { RegistrationId = registration, Channel = VerificationChannel.Email, Hash = secrets.HashCode(registration, VerificationChannel.Email, "042917") };

        Assert.True(VerificationCodes.Matches(secrets, stored, "042917"));
        Assert.False(VerificationCodes.Matches(secrets, stored, "042918"));
        Assert.False(VerificationCodes.Matches(secrets, new VerificationCode { RegistrationId = registration, Channel = VerificationChannel.Phone, Hash = stored.Hash }, "042917"));
        Assert.False(VerificationCodes.Matches(secrets, new VerificationCode { RegistrationId = Guid.NewGuid(), Channel = VerificationChannel.Email, Hash = stored.Hash }, "042917"));
    }

    [Fact]
    public void HashCode_UnderAnotherServerKey_Differs()
    {
        var registration = Guid.NewGuid();
        var other = Secrets("other.key");

        Assert.NotEqual(Secrets().HashCode(registration, "email", "123456"), other.HashCode(registration, "email", "123456"));
    }

    [Fact]
    public void SubjectSecrets_NewKeyFile_IsOwnerOnlyAndReloadsTheSameKey()
    {
        var first = Secrets().HashCode(Guid.Empty, "email", "000000");

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(folder, "subjects.key")));
        Assert.Equal(first, Secrets().HashCode(Guid.Empty, "email", "000000"));
    }

    [Fact]
    public void SubjectSecrets_KeyFileReadableByOthers_IsRefused()
    {
        Secrets();
        File.SetUnixFileMode(Path.Combine(folder, "subjects.key"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);

        var e = Assert.Throws<SubjectsKeyException>(() => Secrets());
        Assert.Contains("chmod 600", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void OpenOutbox_RowCopiedToAnotherId_FailsToOpen()
    {
        var secrets = Secrets();
        var id = Guid.NewGuid();
        var sealedValue = secrets.SealOutbox(id, "+8613800138000"u8);

        Assert.Equal("+8613800138000"u8.ToArray(), secrets.OpenOutbox(id, sealedValue));
        Assert.ThrowsAny<System.Security.Cryptography.CryptographicException>(() => secrets.OpenOutbox(Guid.NewGuid(), sealedValue));
    }

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private SubjectSecrets Secrets(string file = "subjects.key") =>
        new(Options.Create(new SubjectsOptions { KeyFile = Path.Combine(folder, file) }), Options.Create(new StorageOptions { DataDirectory = folder }));
}
