namespace Konzen.Privacy.Consent;

/// <summary>Key material kept in a file that only the service's own user can read.</summary>
internal static class KeyFile
{
    /// <summary>
    /// Reads <paramref name="path"/>, or creates it with <paramref name="create"/>'s bytes. The new
    /// file is written under a temporary name with mode 0600 from the start (never briefly readable
    /// by others) and then moved into place without overwriting, so that two nodes starting together
    /// on a shared folder both end up with the one key that won.
    /// </summary>
    public static byte[] ReadOrCreate(string path, Func<byte[]> create)
    {
        if (File.Exists(path))
        {
            return File.ReadAllBytes(path);
        }

        var full = Path.GetFullPath(path);
        var folder = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(folder);
        var temporary = Path.Combine(folder, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        var content = create();
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            using (var stream = new FileStream(temporary, options))
            {
                stream.Write(content);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, full, overwrite: false);
            return content;
        }
        catch (IOException) when (File.Exists(full))
        {
            return File.ReadAllBytes(full);
        }
        finally
        {
            File.Delete(temporary);
        }
    }
}
