using System.ComponentModel.DataAnnotations;

namespace Konzen.Privacy.Sharing;

/// <summary>How advertiser datasets are de-identified. Bound from <c>Deidentification</c>.</summary>
public sealed class DeidentificationOptions
{
    public const string Section = "Deidentification";

    /// <summary>
    /// The largest share of a dataset's rows that may be suppressed (left out) instead of generalizing
    /// further. Defaults to 0.05 (5 %): a few outliers should not coarsen everyone's rows, but a dataset
    /// mostly left out is not worth sending.
    /// </summary>
    [Range(0.0, 0.5)]
    public double MaxSuppression { get; set; } = 0.05;
}
