namespace Konzen.Privacy.Residency;

/// <summary>
/// An entity that holds data of one subject. The residency check on every SaveChanges refuses to add
/// or change such a row when the subject's region is not the data store's region (S2.3).
/// </summary>
public interface ISubjectData
{
    /// <summary>The subject the row belongs to.</summary>
    Guid SubjectId { get; }
}
