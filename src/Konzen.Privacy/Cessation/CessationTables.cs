using System.Collections.Frozen;

namespace Konzen.Privacy.Cessation;

/// <summary>
/// What the end of the service does with every table of the data store and the key store, and why: each
/// table is in exactly one of the three lists. A test fails when the model has a table none of them names,
/// so a new feature cannot add personal data that the end would leave behind.
/// </summary>
public static class CessationTables
{
    /// <summary>Tables whose every row the end deletes (the key store's first), with why.</summary>
    public static FrozenDictionary<string, string> Deleted { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        // The key store.
        ["subject_keys"] = "the subjects' data keys: without them no copy of a sealed field, anywhere, opens",
        ["event_epoch_keys"] = "the log events' period keys: events and their pseudonyms stop opening",
        ["recipient_keys"] = "the recipients' pseudonym keys: no pseudonym can be matched to an account id again",
        ["data_protection_keys"] = "the keys of session cookies and bearer tokens, which carry account ids: every session ends and no copied one opens",

        // The data store.
        ["subjects"] = "the accounts, with the blind indexes of their addresses and their password hashes",
        ["personal_fields"] = "the sealed personal fields (contact addresses, birth date and the like)",
        ["location_points"] = "sealed coordinates",
        ["positioning_states"] = "whether a subject's positioning is on",
        ["log_events"] = "sealed log events with truncated IP addresses",
        ["event_pseudonyms"] = "the events' pseudonyms",
        ["notifications"] = "messages to subjects, their values sealed under the subject's key",
        ["notification_languages"] = "each subject's language",
        ["verification_codes"] = "registration codes (HMACs)",
        ["pending_registrations"] = "registrations not yet verified, their addresses sealed",
        ["sms_outbox"] = "text messages sealed under the node's own key file, which the end does not destroy",
        ["incident_subjects"] = "which subject an incident touched; the incident itself stays, with its counts",
        ["minor_accounts"] = "minors' accounts with their guardian's sealed address and the guardian's code and token HMACs",
        ["correction_requests"] = "pending changes of address, sealed",
        ["transfer_consents"] = "consents to cross-border transfers, working rows of the account (a cancellation deletes them too)",
        ["identifying_authorizations"] = "authorizations to share identifying data, working rows of the account (a cancellation deletes them too)",
        ["public_disclosure_consents"] = "consents to public-disclosure notices, working rows of the account (a cancellation deletes them too)",
        ["visitors"] = "the banner's visitor ids, the value of a cookie in someone's browser",
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>
    /// Tables kept as evidence of what the service did, anonymized: once the subjects and their keys are gone,
    /// they hold only random ids, hashes, counts, times and words the staff or the system wrote, never a value
    /// a person gave.
    /// </summary>
    public static FrozenDictionary<string, string> KeptAnonymized { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["consent_events"] = "what was agreed and when, with signed receipts naming only the account id; the keyed hash of the connection is removed, as its key is a node file that outlives the end",
        ["audit_entries"] = "the hash chain, naming subjects by bare id; it cannot change without breaking, and it holds no personal data by design",
        ["privacy_requests"] = "requests and complaints with their deadlines and when they were answered (S6.3); the texts people wrote and the answers are removed (an anonymous report's are sealed under a node key file), and the reporter's token hash with them",
        ["privacy_request_events"] = "status changes of requests, by actor id",
        ["cancellation_requests"] = "completed and undone cancellations as tombstones; code, token and unfetched certificate removed; open ones are deleted, as no account is left to cancel",
        ["disclosure_subjects"] = "which account ids a disclosure touched",
        ["recipient_deletion_notices"] = "the recipients told to delete a cancelled account's data, by account id",
        ["legal_requests"] = "requests of authorities (S5.6) naming accounts by bare id, with the authority's reference and the staff's words",
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>Tables with no personal data of the site's users, kept as they are.</summary>
    public static FrozenDictionary<string, string> NoPersonalData { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["service_cessations"] = "the announcement and the cessation report (counts)",
        ["policy_versions"] = "the published policies",
        ["controller_transfers"] = "who the controller was, and when",
        ["retention_sweeps"] = "when the sweep ran",
        ["retention_sweep_counts"] = "what the sweep removed, as counts",
        ["incidents"] = "security incidents: staff text and counts",
        ["disclosures"] = "what left to which recipient: basis, categories, count and hash",
        ["public_disclosure_notices"] = "notices the staff wrote",
        ["recipients"] = "the organisations the controller shares with",
        ["recipient_agreements"] = "their agreements",
        ["staff_members"] = "the controller's staff (names the audit chain uses, token hashes), not users of the site",
    }.ToFrozenDictionary(StringComparer.Ordinal);
}
