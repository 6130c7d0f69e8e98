using System.Security.Cryptography;
using Konzen.Privacy.Vault;

namespace Konzen.Privacy.Tests.Vault;

public sealed class FieldCipherTests
{
    private static readonly byte[] Key = RandomNumberGenerator.GetBytes(32);
    private static readonly Guid Subject = Guid.NewGuid();

    [Theory]
    [InlineData("")]
    [InlineData("li.wei@example.cn")]
    [InlineData("张伟@例子.中国")]
    public void Decrypt_WhatWasEncrypted_ReturnsTheValue(string value)
    {
        var sealedValue = FieldCipher.Encrypt(Key, Subject, PersonalDataVault.EmailField, value);

        Assert.Equal(value, FieldCipher.Decrypt(Key, Subject, PersonalDataVault.EmailField, sealedValue));
    }

    [Fact]
    public void Decrypt_LongValue_ReturnsTheValue()
    {
        var value = new string('x', 5000);

        Assert.Equal(value, FieldCipher.Decrypt(Key, Subject, "user.device", FieldCipher.Encrypt(Key, Subject, "user.device", value)));
    }

    [Fact]
    public void Encrypt_SameValueTwice_GivesDifferentCiphertexts()
    {
        var first = FieldCipher.Encrypt(Key, Subject, PersonalDataVault.EmailField, "li.wei@example.cn");
        var second = FieldCipher.Encrypt(Key, Subject, PersonalDataVault.EmailField, "li.wei@example.cn");

        Assert.NotEqual(first, second);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    [InlineData(20)]
    [InlineData(-1)]
    [Trait("Clause", "S3.2")]
    public void Decrypt_AnyByteFlipped_ThrowsIntegrityError(int position)
    {
        var sealedValue = FieldCipher.Encrypt(Key, Subject, PersonalDataVault.EmailField, "li.wei@example.cn");
        sealedValue[position < 0 ? sealedValue.Length - 1 : position] ^= 0x01;

        Assert.Throws<VaultIntegrityException>(() => FieldCipher.Decrypt(Key, Subject, PersonalDataVault.EmailField, sealedValue));
    }

    [Fact]
    public void Decrypt_WrongKeyOrTruncated_ThrowsIntegrityError()
    {
        var sealedValue = FieldCipher.Encrypt(Key, Subject, PersonalDataVault.EmailField, "li.wei@example.cn");

        Assert.Throws<VaultIntegrityException>(() => FieldCipher.Decrypt(RandomNumberGenerator.GetBytes(32), Subject, PersonalDataVault.EmailField, sealedValue));
        Assert.Throws<VaultIntegrityException>(() => FieldCipher.Decrypt(Key, Subject, PersonalDataVault.EmailField, sealedValue.AsSpan(0, 10)));
    }

    [Fact]
    public void Unwrap_KeyOfAnotherSubject_ThrowsIntegrityError()
    {
        var master = RandomNumberGenerator.GetBytes(32);
        var wrapped = FieldCipher.Wrap(master, Subject, Key);

        Assert.Equal(Key, FieldCipher.Unwrap(master, Subject, wrapped));
        Assert.Throws<VaultIntegrityException>(() => FieldCipher.Unwrap(master, Guid.NewGuid(), wrapped));
    }
}
