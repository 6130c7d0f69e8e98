namespace Konzen.Privacy.Sharing;

/// <summary>Geohash encoding (base-32 cells that nest: a prefix of a geohash is the cell around it).</summary>
internal static class Geohash
{
    private const string Alphabet = "0123456789bcdefghjkmnpqrstuvwxyz";

    /// <summary>The geohash of length <paramref name="length"/> (1 to 12) of a point.</summary>
    public static string Encode(double latitude, double longitude, int length)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(length, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, 12);
        double latLow = -90, latHigh = 90, lonLow = -180, lonHigh = 180;
        Span<char> hash = stackalloc char[length];
        var even = true;
        for (var i = 0; i < length; i++)
        {
            var index = 0;
            for (var bit = 0; bit < 5; bit++)
            {
                // Bits alternate longitude, latitude, starting with longitude.
                if (even)
                {
                    var middle = (lonLow + lonHigh) / 2;
                    index = (index << 1) | (longitude >= middle ? 1 : 0);
                    (lonLow, lonHigh) = longitude >= middle ? (middle, lonHigh) : (lonLow, middle);
                }
                else
                {
                    var middle = (latLow + latHigh) / 2;
                    index = (index << 1) | (latitude >= middle ? 1 : 0);
                    (latLow, latHigh) = latitude >= middle ? (middle, latHigh) : (latLow, middle);
                }

                even = !even;
            }

            hash[i] = Alphabet[index];
        }

        return new string(hash);
    }
}
