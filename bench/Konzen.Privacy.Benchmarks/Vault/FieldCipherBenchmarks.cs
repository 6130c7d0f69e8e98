using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using Konzen.Privacy.Vault;

namespace Konzen.Privacy.Benchmarks.Vault;

/// <summary>
/// Sealing and opening one typical email field with the subject's data key already unwrapped (a
/// cache hit), which is the cost every vault read and write adds on top of its database round trip.
/// </summary>
[MemoryDiagnoser]
public class FieldCipherBenchmarks
{
    private const string Field = PersonalDataVault.EmailField;
    private const string Email = "zhang.min.2026@mail.example.cn";

    private readonly Guid subject = Guid.NewGuid();
    private byte[] key = null!;
    private byte[] sealedEmail = null!;

    [GlobalSetup]
    public void Setup()
    {
        key = RandomNumberGenerator.GetBytes(FieldCipher.KeySize);
        sealedEmail = FieldCipher.Encrypt(key, subject, Field, Email);
    }

    [Benchmark]
    public byte[] Encrypt() => FieldCipher.Encrypt(key, subject, Field, Email);

    [Benchmark]
    public string Decrypt() => FieldCipher.Decrypt(key, subject, Field, sealedEmail);
}
